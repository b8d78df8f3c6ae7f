/// A problem with something the user handed us: a file, a config, a message.
///
/// Every error of this kind is reported as one line and makes the command exit with status 2.
/// Modules define their own error structs (with a `Code` and context) and conform them here,
/// so that the CLI can tell bad input from a bug without knowing every type.
public protocol InputError: Error, CustomStringConvertible {}
