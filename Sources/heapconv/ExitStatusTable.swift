import HeapConv

/// The exit statuses, for `--help` and the README.
enum ExitStatusTable {
    static let text = """
          0   success
          3   --keep-going skipped damaged parts of the input; the output holds what was intact
         64   usage error (bad option or argument, format cannot be inferred)
         65   malformed input (the message names the file and the line or byte offset)
         66   cannot open the input
         69   the format is not available for this direction yet
         70   internal error (a bug: please report it)
         73   cannot create the output
         74   I/O error while reading or writing
        130   interrupted (the partial output is removed)
        """
}

/// Prints `error` as one line on standard error and returns the exit code for it.
func report(_ error: ConversionError) -> Int32 {
    Diagnostics.error(error.description)
    return error.exitStatus
}
