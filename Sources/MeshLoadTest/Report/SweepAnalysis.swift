/// What the report of a sweep found, for `summary.json`: the knees, the saturation points, the
/// accuracy of the cost model and the plots drawn.
///
/// Figures are in the base units of ``PointRecord``: seconds, bits per second, requests per second.
public struct SweepAnalysis: Codable, Sendable, Equatable {
    /// Distinct settings in the sweep (repetitions of one setting are one point).
    public var points: Int
    /// Records: every run of every point, failed ones included.
    public var runs: Int
    public var failedRuns: Int
    /// Median over points of |predicted − measured| / measured step time (medians over
    /// repetitions first), nil when no point has both.
    public var medianAbsoluteRelativeError: Double?
    /// Points with both a measured and a predicted step time.
    public var comparedPoints: Int
    /// Where the exchange takes as long as the computation, one per curve of the bandwidth plot
    /// and source (predicted, measured).
    public var knees: [Knee]
    /// The saturation point of each serving curve.
    public var saturation: [Saturation]
    /// The plots drawn, in the report's order (empty when plots were not asked for).
    public var plots: [Plot]
    /// Plots gnuplot failed to draw: one line each, naming the plot and gnuplot's complaint.
    public var plotFailures: [String]
    /// The report, relative to the result folder.
    public var report: String

    public init(points: Int, runs: Int, failedRuns: Int, medianAbsoluteRelativeError: Double?, comparedPoints: Int,
                knees: [Knee], saturation: [Saturation], plots: [Plot], plotFailures: [String] = [], report: String) {
        self.points = points
        self.runs = runs
        self.failedRuns = failedRuns
        self.medianAbsoluteRelativeError = medianAbsoluteRelativeError
        self.comparedPoints = comparedPoints
        self.knees = knees
        self.saturation = saturation
        self.plots = plots
        self.plotFailures = plotFailures
        self.report = report
    }

    /// The link bandwidth at which exchange time (dispatch + combine) equals compute time.
    public struct Knee: Codable, Sendable, Equatable {
        public enum Method: String, Codable, Sendable {
            /// Between the two swept bandwidths that bracket the crossing, linear in log bandwidth.
            case interpolated
            /// Beyond the swept range, with exchange = latency part + bytes / bandwidth fitted on
            /// the points nearest the crossing (every point lies on one side of it).
            case extrapolated
            /// Not found: `note` says why.
            case none
        }

        /// The curve: the other swept axes' labels ("t=64 k=2"), empty when the plot has one curve.
        public var series: String
        /// `predicted` (the cost model's components) or `measured`.
        public var source: String
        public var linkBitsPerSecond: Double?
        public var method: Method
        /// The swept bandwidths it was found from: the bracketing pair, or those the law was fitted on.
        public var fromBitsPerSecond: [Double]
        /// How it was found, or why it was not, in one sentence.
        public var note: String

        public init(series: String, source: String, linkBitsPerSecond: Double?, method: Method,
                    fromBitsPerSecond: [Double], note: String) {
            self.series = series
            self.source = source
            self.linkBitsPerSecond = linkBitsPerSecond
            self.method = method
            self.fromBitsPerSecond = fromBitsPerSecond
            self.note = note
        }
    }

    /// The highest offered load a serving curve sustains, by ``rule``.
    public struct Saturation: Codable, Sendable, Equatable {
        /// The curve: the other swept axes' labels, empty when there is one.
        public var series: String
        /// The rule, in words.
        public var rule: String
        /// TTFT p99 at the lowest offered rate: the reference of the latency condition.
        public var baselineTTFTP99Seconds: Double
        /// The saturation point; nil when no offered rate meets the rule.
        public var offeredRequestsPerSecond: Double?
        public var achievedRequestsPerSecond: Double?
        public var ttftP50Seconds: Double?
        public var ttftP99Seconds: Double?
        public var tpotP50Seconds: Double?
        public var tpotP99Seconds: Double?

        public init(series: String, rule: String, baselineTTFTP99Seconds: Double, offeredRequestsPerSecond: Double?,
                    achievedRequestsPerSecond: Double?, ttftP50Seconds: Double?, ttftP99Seconds: Double?,
                    tpotP50Seconds: Double?, tpotP99Seconds: Double?) {
            self.series = series
            self.rule = rule
            self.baselineTTFTP99Seconds = baselineTTFTP99Seconds
            self.offeredRequestsPerSecond = offeredRequestsPerSecond
            self.achievedRequestsPerSecond = achievedRequestsPerSecond
            self.ttftP50Seconds = ttftP50Seconds
            self.ttftP99Seconds = ttftP99Seconds
            self.tpotP50Seconds = tpotP50Seconds
            self.tpotP99Seconds = tpotP99Seconds
        }
    }

    /// A plot drawn: its name and files, relative to the result folder.
    public struct Plot: Codable, Sendable, Equatable {
        /// `throughput-vs-workers`, `breakdown`, ...
        public var name: String
        public var title: String
        /// `plots/NAME.png` and `plots/NAME.svg`.
        public var png: String
        public var svg: String

        public init(name: String, title: String, png: String, svg: String) {
            self.name = name
            self.title = title
            self.png = png
            self.svg = svg
        }
    }
}
