import Testing
@testable import MeshCore

/// The per-layer traffic in rank space: counts announced, the legal ones, and the byte regions
/// of both exchanges that follow.
@Suite struct TrafficRulesTests {
    // 2 coordinators (ranks 0, 1) and 3 workers (ranks 2, 3, 4); records of 40 and 24 bytes.
    let codec = RecordCodec(hidden: 6, k: 2, dispatch: .fp32, combine: .fp32)
    var rules: TrafficRules { TrafficRules(codec: codec, coordinators: 2, workers: 3) }

    @Test func aCoordinatorAnnouncesItsWorkersCountsInRankSpace() {
        #expect(codec.dispatch.recordBytes == 40 && codec.combine.recordBytes == 24)
        let (announce, traffic) = rules.coordinator(sending: [3, 0, 2])
        #expect(announce == [0, 0, 3, 0, 2])
        #expect(traffic.dispatchSend.counts == [0, 0, 120, 0, 80])
        #expect(traffic.dispatchSend.offsets == [0, 0, 0, 120, 120])
        #expect(traffic.dispatchSend.total == 200)
        #expect(traffic.dispatchReceive.total == 0)
        // One combine record comes back for every token sent.
        #expect(traffic.combineReceive.counts == [0, 0, 72, 0, 48])
        #expect(traffic.combineReceive.offsets == [0, 0, 0, 72, 72])
        #expect(traffic.combineSend.total == 0)
    }

    @Test func aWorkerReturnsOneRecordPerRecordToItsSender() throws {
        let traffic = try rules.worker(announced: [4, 1, 0, 0, 0])
        #expect(traffic.tokensReceived == [4, 1, 0, 0, 0])
        #expect(traffic.dispatchReceive.counts == [160, 40, 0, 0, 0])
        #expect(traffic.dispatchReceive.offsets == [0, 160, 200, 200, 200])
        #expect(traffic.combineSend.counts == [96, 24, 0, 0, 0])
        #expect(traffic.combineSend.offsets == [0, 96, 120, 120, 120])
        #expect(traffic.dispatchSend.total == 0 && traffic.combineReceive.total == 0)
    }

    @Test func bothSidesAgreeOnEveryMessageSize() throws {
        // What coordinator c sends worker w is what w expects from c, both ways.
        let sent = [[2, 0, 5], [1, 1, 0]]
        let coordinators = sent.map { rules.coordinator(sending: $0) }
        for w in 0..<3 {
            let worker = try rules.worker(announced: (0..<5).map { $0 < 2 ? coordinators[$0].announce[rules.rank(ofWorker: w)] : 0 })
            for c in 0..<2 {
                let rank = rules.rank(ofWorker: w)
                #expect(worker.dispatchReceive.counts[c] == coordinators[c].traffic.dispatchSend.counts[rank])
                #expect(worker.combineSend.counts[c] == coordinators[c].traffic.combineReceive.counts[rank])
            }
        }
    }

    @Test(arguments: [
        ([Int32(-1), 0, 0, 0, 0], 0, "expected 0...53687091, found -1"),
        ([0, 53687092, 0, 0, 0], 1, "expected 0...53687091, found 53687092"),
        ([0, 0, 0, 7, 0], 3, "expected 0...0, found 7"),
    ])
    func aWorkerRefusesCountsOutsideTheRules(announced: [Int32], sender: Int, detail: String) {
        #expect(rules.maxTokensPerMessage == Int(Int32.max) / 40)
        #expect(throws: CountError(sender: sender, detail: detail)) { _ = try rules.worker(announced: announced) }
    }

    @Test func aCoordinatorReceivesNoTokens() throws {
        try rules.checkCoordinator(announced: [5, 0, 0, 0, 0], me: 0)  // its own entry is no message
        #expect(throws: CountError(sender: 4, detail: "a coordinator receives no tokens, found 2")) {
            try rules.checkCoordinator(announced: [0, 0, 0, 0, 2], me: 1)
        }
    }
}

/// The placement's holder index.
@Suite struct ExpertHoldersTests {
    @Test func everyCopyIsIndexedWithItsLocalPosition() {
        let holders = ExpertHolders(experts: [[0, 3], [], [1, 3, 5]])
        #expect(holders.workers == 3)
        #expect(holders[expert: 3] == [.init(worker: 0, local: 1), .init(worker: 2, local: 1)])
        #expect(holders[expert: 5] == [.init(worker: 2, local: 2)])
        #expect(holders[expert: 2].isEmpty)
        #expect(holders[expert: 99].isEmpty && holders[expert: -1].isEmpty)
    }

    @Test func aPlanFromTheIndexEqualsOneFromThePlacement() {
        let routing = Routing(tokens: 3, k: 2, experts: [0, 3, 3, 5, 1, 0], weights: [0.5, 0.5, 0.6, 0.4, 0.7, 0.3])
        let experts = [[0, 3], [], [1, 3, 5]]
        for rotation in 0..<3 {
            #expect(DispatchPlan(routing: routing, holders: ExpertHolders(experts: experts), rotation: rotation)
                == DispatchPlan(routing: routing, experts: experts, rotation: rotation))
        }
    }
}
