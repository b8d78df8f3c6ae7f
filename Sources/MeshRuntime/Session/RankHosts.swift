import Foundation

/// Where every rank runs, so that an error can name the host as well as the rank: a network
/// namespace of the test cluster, or a machine of a real one, each known by its address.
struct RankHosts {
    /// `names[rank]`: the rank's first IPv4 address that is not loopback, else its host name.
    let names: [String]

    /// Bytes of one rank's name on the wire.
    static let width = 64

    /// This process's host: its first non-loopback IPv4 address (network namespaces share the
    /// machine's host name but not its addresses), else the host name.
    static func current() -> String {
        var list: UnsafeMutablePointer<ifaddrs>?
        var address: String?
        if getifaddrs(&list) == 0 {
            var entry = list
            while let e = entry {
                defer { entry = e.pointee.ifa_next }
                guard let sockaddr = e.pointee.ifa_addr, sockaddr.pointee.sa_family == sa_family_t(AF_INET),
                      e.pointee.ifa_flags & UInt32(IFF_LOOPBACK) == 0 else { continue }
                var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                if getnameinfo(sockaddr, socklen_t(MemoryLayout<sockaddr_in>.size), &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 {
                    address = String(cString: text)
                    break
                }
            }
            freeifaddrs(list)
        }
        return address ?? ProcessInfo.processInfo.hostName
    }

    /// Every rank's host, exchanged within the step timeout (an all-gather of fixed-size names).
    static func exchange(_ job: JobContext) throws -> RankHosts {
        let name = Array(current().utf8.prefix(width))
        let mine = name + Array(repeating: 0, count: width - name.count)
        let all = try job.allgather(mine, phase: "exchanging host names")
        let names = (0..<job.ranks).map { rank in
            String(decoding: all[(rank * width)..<((rank + 1) * width)].prefix { $0 != 0 }, as: UTF8.self)
        }
        return RankHosts(names: names)
    }

    /// `error` in words, with the hosts of the ranks it names when the ranks are on several hosts.
    func describe(_ error: any Error, rank: Int) -> String {
        guard Set(names).count > 1, let timeout = error as? PeerTimeout else { return "\(error)" }
        let peers = timeout.peer.map { [$0] } ?? timeout.suspects
        let where_ = peers.filter { $0 < names.count }.map { "rank \($0) is on host \(names[$0])" }
        return "\(error) (\((where_ + ["rank \(rank) on host \(names[rank])"]).joined(separator: "; ")))"
    }
}
