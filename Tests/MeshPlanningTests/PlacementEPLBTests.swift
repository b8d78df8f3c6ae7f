import Foundation
import PropertyBased
import Testing
import MeshCore
@testable import MeshPlanning

@Suite struct PlacementEPLBTests {
    /// 3 layers, 1 dense: 2 MoE layers of 4 experts.
    static let model: ModelConfig = {
        var model = ModelConfig()
        model.layers = 3
        model.denseLayers = 1
        model.experts = 4
        return model
    }()

    /// 4 experts + 1 replica on 3 workers: 5 physical experts, 2 + 2 + 1.
    static let placement = Placement(experts: [
        [[0, 3], [1, 2], [0]],
        [[1, 2], [0, 3], [3]],
    ])

    static func parse(_ json: String, workers: Int? = 3) throws -> EPLBPlan {
        try EPLBPlan.parse(json: Data(json.utf8), file: "plan.json", model: model, workers: workers)
    }

    @Test func arraysNumberSlotsWorkerByWorker() {
        let plan = EPLBPlan(placement: Self.placement, experts: 4)
        #expect(plan.physicalPerWorker == [2, 2, 1])
        #expect(plan.physicalToLogical == [[0, 3, 1, 2, 0], [1, 2, 0, 3, 3]])
        #expect(plan.logicalCount == [[2, 1, 1, 1], [1, 1, 1, 2]])
        #expect(plan.logicalToPhysical == [[[0, 4], [2, -1], [3, -1], [1, -1]], [[2, -1], [0, -1], [1, -1], [3, 4]]])
        #expect(plan.json() == """
            {
              "phy2log": [
                [0, 3, 1, 2, 0],
                [1, 2, 0, 3, 3]
              ],
              "log2phy": [
                [[0, 4], [2, -1], [3, -1], [1, -1]],
                [[2, -1], [0, -1], [1, -1], [3, 4]]
              ],
              "logcnt": [
                [2, 1, 1, 1],
                [1, 1, 1, 2]
              ],
              "physical_per_worker": [2, 2, 1]
            }

            """)
    }

    @Test func roundTrip() throws {
        let plan = EPLBPlan(placement: Self.placement, experts: 4)
        let read = try Self.parse(plan.json())
        #expect(read.placement == Self.placement)
        #expect(read == plan)
    }

    @Test func layersWithFewerExpertsOnAWorkerGetEmptySlots() throws {
        let uneven = Placement(experts: [[[0, 1, 2], [3]], [[0], [1, 2, 3]]])
        let plan = EPLBPlan(placement: uneven, experts: 4)
        #expect(plan.physicalPerWorker == [3, 3])
        #expect(plan.physicalToLogical == [[0, 1, 2, 3, -1, -1], [0, -1, -1, 1, 2, 3]])
        #expect(try Self.parse(plan.json(), workers: 2).placement == uneven)
    }

    @Test func arraysPlainEPLBCannotReadAreNoted() {
        // 2 + 2 + 1 slots, none empty.
        #expect(EPLBPlan(placement: Self.placement, experts: 4).compatibilityNote(file: "plan.json")
                == "plan.json gives the workers different numbers of slots (workers hold 2, 2, 1 experts): "
                    + "EPLB itself expects the same count per worker")
        // 3 + 3 slots, 4 of them empty.
        #expect(EPLBPlan(placement: Placement(experts: [[[0, 1, 2], [3]], [[0], [1, 2, 3]]]), experts: 4)
            .compatibilityNote(file: "plan.json")
                == "plan.json pads 4 empty slots with -1 (workers hold up to 3 experts, fewer in some layers): "
                    + "EPLB itself fills every slot")
        // 3 + 2 slots, 1 empty in each layer.
        #expect(EPLBPlan(placement: Placement(experts: [[[0, 1, 2], [3]], [[0, 1], [2, 3]]]), experts: 4)
            .compatibilityNote(file: "plan.json")
                == "plan.json pads 2 empty slots with -1 (workers hold 3, 2 experts): EPLB itself expects the same count per worker")
        // What EPLB itself writes: nothing to say.
        #expect(EPLBPlan(placement: Placement(experts: [[[0, 1], [2, 3]], [[0, 3], [1, 2]]]), experts: 4)
            .compatibilityNote(file: "plan.json") == nil)
    }

    @Test func aPlainEPLBFileSplitsEvenlyOverTheWorkers() throws {
        // EPLB's own output: no physical_per_worker, 6 slots over 2 workers, replicas in any order.
        let json = """
            {"phy2log": [[3, 0, 1, 2, 1, 0], [0, 1, 2, 3, 2, 1]],
             "log2phy": [[[1, 5], [2, 4], [3, -1], [0, -1]], [[0, -1], [5, 1], [4, 2], [3, -1]]],
             "logcnt": [[2, 2, 1, 1], [1, 2, 2, 1]]}
            """
        let plan = try Self.parse(json, workers: 2)
        #expect(plan.placement == Placement(experts: [[[0, 1, 3], [0, 1, 2]], [[0, 1, 2], [1, 2, 3]]]))
        #expect(throws: EPLBPlanError(file: "plan.json", field: "phy2log",
                                      detail: "expected physical experts that split evenly over 4 workers (or a physical_per_worker list), found 6")) {
            try Self.parse(json, workers: 4)
        }
    }

    @Test(arguments: [
        (#"{"phy2log": [[0, 1, 2, 3]]}"#, "plan.json: phy2log: expected one row per MoE layer (2), found 1"),
        (#"{"phy2log": [[0, 1, 2, 3], [0, 1, 2]], "physical_per_worker": [2, 1, 1]}"#,
         "plan.json: phy2log[1]: expected 4 physical experts like phy2log[0], found 3"),
        (#"{"phy2log": [[0, 1, 2, 3], [0, 1, 2, 7]], "physical_per_worker": [2, 1, 1]}"#,
         "plan.json: phy2log[1][3]: expected a logical expert in 0...3 (or -1 for an empty slot), found 7"),
        (#"{"phy2log": [[0, 0, 2, 3], [0, 1, 2, 3]], "physical_per_worker": [2, 1, 1]}"#,
         "plan.json: phy2log[0][1]: expert 0 twice on worker 0 (slots 0 and 1)"),
        (#"{"phy2log": [[0, 1, 2, 2], [0, 1, 2, 3]], "physical_per_worker": [2, 1, 1]}"#,
         "plan.json: phy2log[0]: expert 3 has no physical slot (every logical expert needs one)"),
        (#"{"phy2log": [[0, 1, 2, 3], [0, 1, 2, 3]], "physical_per_worker": [2, 2]}"#,
         "plan.json: physical_per_worker: expected one count per worker (3), found 2"),
        (#"{"phy2log": [[0, 1, 2, 3], [0, 1, 2, 3]], "physical_per_worker": [2, 1, 2]}"#,
         "plan.json: physical_per_worker: expected counts summing to the 4 physical experts of phy2log, found 5"),
        (#"{"phy2log": [[0, 1, 2, 3], [0, 1, 2, 3]], "physical_per_worker": [3, 2, -1]}"#,
         "plan.json: physical_per_worker[2]: expected a count ≥ 0, found -1"),
        (#"{"phy2log": [[0, 1, 2, 3], [0, 1, 2, 3]], "physical_per_worker": [2, 1, 1], "logcnt": [[1, 1, 1, 1], [1, 2, 1, 1]]}"#,
         "plan.json: logcnt[1][1]: expected 1, the slots of expert 1 in phy2log[1], found 2"),
        (#"{"phy2log": [[0, 1, 2, 3], [0, 1, 2, 3]], "physical_per_worker": [2, 1, 1], "log2phy": [[[0], [1], [2], [3]], [[0], [1], [2], [2]]]}"#,
         "plan.json: log2phy[1][3]: expected the slots of expert 3 in phy2log[1], [3] (padded with -1), found [2]"),
        (#"{"phy2log": [[0, 1, 2, 3], [0, 1, 2, 3]], "physical_per_worker": [2, 1, 1], "log2phy": [[[0], [1], [2], [3]]]}"#,
         "plan.json: log2phy: expected one row per MoE layer (2), found 1"),
        (#"{"phy2log": [[0, 1, 2, 3], [0, 1, "2", 3]]}"#, "plan.json: phy2log[1][2]: "),
        (#"{"phy2log": [[0, 1, 2, 3], [0, 1, 2.5, 3]]}"#, "plan.json: phy2log[1][2]: expected an integer, found 2.5"),
        (#"{"phy2log": [[0, 1, 2, 3], [0, 1, 2, 3]], "physical_per_worker": [2, 1, 1], "log2phy": [[[0], [1], [2], [3]], [[0], [1], [2], [3.5]]]}"#,
         "plan.json: log2phy[1][3][0]: expected an integer, found 3.5"),
        (#"{"log2phy": []}"#, "plan.json: phy2log: missing"),
        (#"{"phy2log": [[0, 1, 2, 3],"#, "plan.json: expected JSON, found malformed text"),
    ])
    func badPlansNameTheField(json: String, message: String) {
        do {
            _ = try Self.parse(json)
            Issue.record("expected: \(message)")
        } catch {
            let text = "\(error)"
            #expect(text.hasPrefix(message), "\(text)")
            #expect(!text.contains("\n"))
        }
    }

    @Test func plansRoundTripThroughEPLBArrays() async throws {
        await propertyCheck(count: 100, input: PlanningCase.generator) { c in
            guard let plan = try? c.planner.plan(c.load) else { return }
            var model = ModelConfig()
            model.layers = 2
            model.experts = c.experts
            let arrays = EPLBPlan(placement: plan.placement, experts: c.experts)
            let read = try EPLBPlan.parse(json: Data(arrays.json().utf8), file: "plan.json", model: model, workers: c.workers)
            #expect(read.placement == plan.placement)
            #expect(read.logicalCount == plan.layers.map(\.copies))
        }
    }

    @Test func thePlacementFileIsTheConfigsExplicitList() throws {
        let yaml = Self.placement.yaml(layers: [1, 2], comments: ["planned for a test", "second line"])
        #expect(yaml == """
            # planned for a test
            # second line
            placement:
              - worker: 0
                per_layer:
                  - [0, 3]   # layer 1
                  - [1, 2]   # layer 2
              - worker: 1
                per_layer:
                  - [1, 2]   # layer 1
                  - [0, 3]   # layer 2
              - worker: 2
                per_layer:
                  - [0]   # layer 1
                  - [3]   # layer 2

            """)
        // The list under `placement:` is what a config's cluster.placement accepts.
        let list = yaml.split(separator: "\n").drop { !$0.hasPrefix("placement:") }.dropFirst()
            .map { "  " + $0 }.joined(separator: "\n")
        let config = try ExpertMeshConfig.parse(yaml: """
            model: {layers: 3, dense_layers: 1, experts: 4, top_k: 2}
            cluster:
              workers: 3
              placement:
            \(list)
            """)
        #expect(config.placement == Self.placement)
    }
}
