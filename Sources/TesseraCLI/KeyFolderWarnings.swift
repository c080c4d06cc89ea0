import Synchronization
import TesseraCore

/// The warnings about files of a keys folder that every reader skips (see `KeyFolder`): said once
/// per folder per run, however many times the folder is read.
public enum KeyFolderWarnings {
    private static let warned = Mutex<Set<String>>([])

    /// Warns, on standard error, about each file of `directory` whose name is not a key name.
    public static func warn(about directory: String) {
        guard warned.withLock({ $0.insert(directory).inserted }) else { return }
        for file in KeyFolder.skippedFiles(in: directory) {
            // Terminal.note escapes what the name holds: a file name is text someone else chose.
            Terminal.note("\(Terminal.prefix): warning: skipping \(FileSystem.join(directory, file)): its name is not a key name (1-64 of A-Z a-z 0-9 . _ -, not starting with '.')")
        }
    }
}
