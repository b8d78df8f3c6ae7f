import MeshTensor
import Numerics
import Testing

@Suite struct TensorTests {
    @Test(arguments: [
        ([Int](), 1, 1, 1),
        ([5], 5, 1, 5),
        ([3, 4], 3, 4, 12),
        ([2, 3, 4], 2, 12, 24),
        ([0, 7], 0, 7, 0),
    ])
    func rowsAndColumns(shape: [Int], rows: Int, columns: Int, count: Int) {
        let tensor = Tensor(zeros: shape)
        #expect(tensor.rows == rows)
        #expect(tensor.columns == columns)
        #expect(tensor.count == count)
        #expect(tensor.scalars.allSatisfy { $0.isZero })
    }

    @Test func rowSubscriptReadsAndWritesOneRow() {
        var tensor = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        expectClose(Array(tensor[row: 1]), [3, 4])
        tensor[row: 2] = [9, 8]
        expectClose(tensor.scalars, [1, 2, 3, 4, 9, 8])
    }

    @Test func withRowSeesOnlyThatRow() {
        var tensor = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let sum = tensor.withRow(1) { $0.reduce(0, +) }
        #expect(sum.isApproximatelyEqual(to: 15, relativeTolerance: 1e-7))
        tensor.withMutableRow(0) { row in
            for index in row.indices { row[index] *= 10 }
        }
        expectClose(tensor.scalars, [10, 20, 30, 4, 5, 6])
    }

    @Test func gatherRowsCopiesInIndexOrderWithRepeats() {
        let tensor = Tensor(shape: [3, 2], scalars: [0, 1, 10, 11, 20, 21])
        let gathered = tensor.gatherRows([2, 0, 2])
        #expect(gathered.shape == [3, 2])
        expectClose(gathered.scalars, [20, 21, 0, 1, 20, 21])
        #expect(tensor.gatherRows([]).shape == [0, 2])
    }

    @Test func addRowsScalesAndAccumulatesRepeatedIndices() {
        var target = Tensor(shape: [3, 2], scalars: [1, 1, 1, 1, 1, 1])
        let source = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        target.addRows(source, at: [2, 0, 2], scaledBy: [0.5, 2, 1])
        // Row 0 += 2·[3, 4]; row 2 += 0.5·[1, 2] + 1·[5, 6]; row 1 untouched.
        expectClose(target.scalars, [7, 9, 1, 1, 6.5, 8])
    }

    @Test func gatherThenAddRowsRoundTrips() {
        var generator = SeededGenerator(seed: 1)
        let tensor = randomTensor([6, 5], using: &generator)
        var rebuilt = Tensor(zeros: [6, 5])
        let order = [4, 1, 5, 0, 3, 2]
        rebuilt.addRows(tensor.gatherRows(order), at: order)
        expectClose(rebuilt.scalars, tensor.scalars)
    }

    @Test func reshapedKeepsScalars() {
        let tensor = Tensor(shape: [2, 6], scalars: (0..<12).map(Float.init))
        let reshaped = tensor.reshaped(to: [2, 3, 2])
        #expect(reshaped.shape == [2, 3, 2])
        #expect(reshaped.columns == 6)
        expectClose(reshaped.scalars, tensor.scalars)
    }
}
