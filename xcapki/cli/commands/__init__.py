"""One module per subcommand, each with ``run(args, console) -> ExitCode``; loaded on use."""
