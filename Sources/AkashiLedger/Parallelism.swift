import Foundation

/// How many cores to spread parallel work over, read once.
///
/// `ProcessInfo.activeProcessorCount` re-reads the cgroup CPU limit from /sys on every call on Linux (open, read,
/// close): called per commit it was about 4 % of the workspace's CPU under load.
public enum Parallelism {
    public static let cores: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
}
