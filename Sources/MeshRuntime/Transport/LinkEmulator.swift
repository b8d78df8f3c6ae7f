import Foundation
import MeshCore

/// Makes each exchange take at least as long as a hardware profile's links would.
///
/// Ranks are mapped onto the profile's nodes (`devices_per_node` ranks per node, in rank order,
/// or the config's `cluster.nodes`). Real data still moves, but late: a rank holds its sends back
/// for the time its outgoing bytes would take on the described links (so they land when they
/// would have), and a receiver does not go on before its incoming bytes could have streamed in
/// since it started the exchange. Work overlapped with an exchange (the coordinator's shared
/// experts during combine) still overlaps it.
/// A rank's bytes to and from other nodes go over the NIC, the rest over the intra-node link;
/// the two links and the two directions run concurrently, each `latency + bytes / (bandwidth ×
/// all-to-all efficiency)`.
struct LinkEmulator {
    let profile: HardwareProfile
    let nodeOfRank: [Int]

    init(profile: HardwareProfile, config: ExpertMeshConfig) {
        self.profile = profile
        let ranks = config.cluster.ranks
        nodeOfRank = config.cluster.nodeOfRank.count == ranks ? config.cluster.nodeOfRank
            : (0..<ranks).map { $0 / profile.devicesPerNode }
    }

    /// Seconds for `rank` to move `bytes[peer]` one way over its links.
    func seconds(rank: Int, bytes: [Int]) -> Double {
        var inter = 0, intra = 0, interPeers = 0, intraPeers = 0
        for (peer, count) in bytes.enumerated() where peer != rank && count > 0 {
            if nodeOfRank[peer] == nodeOfRank[rank] { intra += count; intraPeers += 1 } else { inter += count; interPeers += 1 }
        }
        func time(_ link: HardwareProfile.Link, _ total: Int, _ peers: Int) -> Double {
            guard total > 0 else { return 0 }
            let efficiency = profile.allToAllEfficiency.at(bytesPerPeer: Double(total) / Double(max(peers, 1)))
            return link.seconds(Double(total), efficiency: efficiency)
        }
        return max(time(profile.interNode, inter, interPeers), time(profile.intraNode, intra, intraPeers))
    }

    /// Waits until `target` (monotonic seconds); returns the seconds waited.
    func wait(until target: Double) -> Double { waitUntil(target) }
}
