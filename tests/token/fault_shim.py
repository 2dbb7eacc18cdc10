"""A PKCS#11 module that fails on command, forwarding everything else to SoftHSM2.

This is a mock, used only for faults no real component here can produce: a
module answering CKR_DEVICE_REMOVED, CKR_DEVICE_ERROR, CKR_GENERAL_ERROR or
CKR_TOKEN_NOT_PRESENT and staying failed until it is finalised and initialised
again, as the drivers of some readers do. Neither SoftHSM2 nor OpenSC on the
virtual reader can be made to return these codes on demand.

The shim is a small C library compiled with gcc. It copies SoftHSM2's function
list and replaces six entries. Writing ``"<ckr> <slot>"`` (hex code, decimal
slot, or ``-1`` for every slot) into the control file arms a fault: from then on
C_GetTokenInfo, C_OpenSession and C_SignInit for that slot return the code.
The fault is latched: emptying the control file stops it only at the next
C_Initialize, so a caller that never re-initialises stays failed.

Writing ``"vanish <n>"`` instead makes the next ``n`` C_GetSlotInfo calls answer
CKR_SLOT_ID_INVALID, as OpenSC does when a card is pulled between C_GetSlotList
and C_GetSlotInfo (seen on the virtual reader only under load, never on demand);
the shim empties the control file when it takes the count.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

CONTROL_VARIABLE = "XCAPKI_FAULT_SHIM_CONTROL"
TARGET_VARIABLE = "XCAPKI_FAULT_SHIM_TARGET"

CKR_GENERAL_ERROR = 0x005
CKR_DEVICE_ERROR = 0x030
CKR_DEVICE_REMOVED = 0x032
CKR_TOKEN_NOT_PRESENT = 0x0E0

_SOURCE = r"""
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef unsigned long ulong;
typedef ulong (*fn)();
/* CK_FUNCTION_LIST: a CK_VERSION, then the function pointers in the standard's order. */
struct function_list { unsigned char major, minor; fn f[68]; };
enum { INITIALIZE = 0, GET_FUNCTION_LIST = 3, GET_SLOT_INFO = 5, GET_TOKEN_INFO = 6,
       OPEN_SESSION = 12, SIGN_INIT = 42 };
#define CKR_SLOT_ID_INVALID 0x3
#define ANY ((ulong)-1)
#define SESSIONS 4096

static struct function_list *real;
static struct function_list shim;
static ulong latched_code, latched_slot = ANY;
static ulong session_slot[SESSIONS];
static int vanishing;

static ulong armed(ulong *slot) {
    const char *path = getenv("XCAPKI_FAULT_SHIM_CONTROL");
    FILE *control = path ? fopen(path, "r") : NULL;
    ulong code = 0;
    long wanted = -1;
    if (control) {
        if (fscanf(control, "%lx %ld", &code, &wanted) < 1) code = 0;
        fclose(control);
    }
    *slot = wanted < 0 ? ANY : (ulong)wanted;
    return code;
}

static ulong fault(ulong slot) {
    ulong wanted, code = armed(&wanted);
    if (code) { latched_code = code; latched_slot = wanted; }
    if (latched_code && (latched_slot == ANY || latched_slot == slot)) return latched_code;
    return 0;
}

static ulong initialize(void *args) {
    ulong rv = real->f[INITIALIZE](args), wanted;
    if (!armed(&wanted)) latched_code = 0;
    return rv;
}

static ulong get_slot_info(ulong slot, void *info) {
    const char *path = getenv("XCAPKI_FAULT_SHIM_CONTROL");
    FILE *control = path ? fopen(path, "r") : NULL;
    int count;
    if (control) {
        int taken = fscanf(control, "vanish %d", &count) == 1;
        fclose(control);
        if (taken) { vanishing = count; fclose(fopen(path, "w")); }
    }
    if (vanishing > 0) { vanishing--; return CKR_SLOT_ID_INVALID; }
    return real->f[GET_SLOT_INFO](slot, info);
}

static ulong get_token_info(ulong slot, void *info) {
    ulong rv = fault(slot);
    return rv ? rv : real->f[GET_TOKEN_INFO](slot, info);
}

static ulong open_session(ulong slot, ulong flags, void *app, void *notify, ulong *session) {
    ulong rv = fault(slot);
    if (rv) return rv;
    rv = real->f[OPEN_SESSION](slot, flags, app, notify, session);
    if (!rv) session_slot[*session % SESSIONS] = slot;
    return rv;
}

static ulong sign_init(ulong session, void *mechanism, ulong key) {
    ulong rv = fault(session_slot[session % SESSIONS]);
    return rv ? rv : real->f[SIGN_INIT](session, mechanism, key);
}

ulong C_GetFunctionList(struct function_list **list) {
    if (!real) {
        void *target = dlopen(getenv("XCAPKI_FAULT_SHIM_TARGET"), RTLD_NOW | RTLD_LOCAL);
        ulong (*get)(struct function_list **) = target ? dlsym(target, "C_GetFunctionList") : 0;
        if (!get || get(&real)) return 0x5;
        shim = *real;
        shim.f[INITIALIZE] = (fn)initialize;
        shim.f[GET_FUNCTION_LIST] = (fn)C_GetFunctionList;
        shim.f[GET_SLOT_INFO] = (fn)get_slot_info;
        shim.f[GET_TOKEN_INFO] = (fn)get_token_info;
        shim.f[OPEN_SESSION] = (fn)open_session;
        shim.f[SIGN_INIT] = (fn)sign_init;
    }
    *list = &shim;
    return 0;
}
"""


def build_fault_shim(directory: Path) -> Path:
    """Compile the shim into ``directory``; its path."""
    gcc = shutil.which("gcc")
    if gcc is None:
        raise RuntimeError("gcc is missing: install the Debian package gcc")
    source = directory / "fault_shim.c"
    source.write_text(_SOURCE)
    library = directory / "libxcapki-fault-shim.so"
    subprocess.run(
        [gcc, "-shared", "-fPIC", "-O1", "-o", str(library), str(source), "-ldl"],
        check=True,
        capture_output=True,
    )
    return library
