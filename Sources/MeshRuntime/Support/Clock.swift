import Foundation

/// Seconds on this machine's monotonic clock (the same on every process of one machine).
public func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

/// CPU seconds this process has run (every thread: OpenBLAS's too): what a phase computed,
/// whatever it waited for a core.
func threadCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

/// Waits until `target` (monotonic seconds); returns the seconds waited.
func waitUntil(_ target: Double) -> Double {
    let now = monotonicSeconds()
    guard target > now else { return 0 }
    let remaining = target - now
    // Sleep most of it, then yield until the instant: nanosleep overshoots by tens of µs.
    if remaining > 200e-6 {
        let sleep = remaining - 100e-6
        var interval = timespec(tv_sec: Int(sleep), tv_nsec: Int(sleep.truncatingRemainder(dividingBy: 1) * 1e9))
        nanosleep(&interval, nil)
    }
    while monotonicSeconds() < target { sched_yield() }
    return monotonicSeconds() - now
}

extension Duration {
    /// The duration in seconds, as a Double.
    public var secondsValue: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
