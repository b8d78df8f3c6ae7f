internal import CMPI

/// An MPI datatype handle (`MPI_Datatype`) for one Swift element type.
///
/// Only MeshMPI creates these; callers meet them through `MPIElement.mpiDatatype`.
public struct MPIDatatype: CustomStringConvertible {
    let handle: MPI_Datatype
    /// The MPI name, such as `MPI_FLOAT`.
    public let name: String

    init(_ handle: MPI_Datatype, name: String) {
        self.handle = handle
        self.name = name
    }

    /// `MPI_BYTE`: untyped bytes, used by the raw-buffer overloads.
    static var byte: MPIDatatype { MPIDatatype(cmpi_byte(), name: "MPI_BYTE") }

    public var description: String { name }
}

/// A fixed-size value MPI can move: `Float`, `Double`, `UInt8`, `UInt16`, `Int32`, `Int64`.
///
/// `UInt16` carries reduced-precision floats (bfloat16, float16) as raw bits; MPI never looks at
/// them. Reductions need `MPIReducible`.
///
/// Another type may conform by returning one of these datatypes, but only if its memory layout is
/// exactly that datatype's (a bfloat16 struct wrapping one `UInt16` may return
/// `UInt16.mpiDatatype`): MPI sizes every transfer from the datatype, so a mismatch reads or
/// writes past the buffer.
public protocol MPIElement: BitwiseCopyable {
    /// The MPI datatype describing one value.
    static var mpiDatatype: MPIDatatype { get }
}

/// An element MPI can reduce with `MPIOp.sum`, `.max` and `.min`: `Float`, `Double`, `Int32`, `Int64`.
public protocol MPIReducible: MPIElement {}

extension Float: MPIReducible {
    public static var mpiDatatype: MPIDatatype { MPIDatatype(cmpi_float(), name: "MPI_FLOAT") }
}

extension Double: MPIReducible {
    public static var mpiDatatype: MPIDatatype { MPIDatatype(cmpi_double(), name: "MPI_DOUBLE") }
}

extension Int32: MPIReducible {
    public static var mpiDatatype: MPIDatatype { MPIDatatype(cmpi_int32(), name: "MPI_INT32_T") }
}

extension Int64: MPIReducible {
    public static var mpiDatatype: MPIDatatype { MPIDatatype(cmpi_int64(), name: "MPI_INT64_T") }
}

extension UInt8: MPIElement {
    public static var mpiDatatype: MPIDatatype { MPIDatatype(cmpi_uint8(), name: "MPI_UINT8_T") }
}

extension UInt16: MPIElement {
    public static var mpiDatatype: MPIDatatype { MPIDatatype(cmpi_uint16(), name: "MPI_UINT16_T") }
}

/// A reduction operation (`MPI_Op`): `MPI_SUM`, `MPI_MAX`, `MPI_MIN`.
public struct MPIOp: CustomStringConvertible {
    let handle: MPI_Op
    /// The MPI name, such as `MPI_SUM`.
    public let name: String

    private init(_ handle: MPI_Op, name: String) {
        self.handle = handle
        self.name = name
    }

    /// `MPI_SUM`: the elementwise sum over ranks.
    public static var sum: MPIOp { MPIOp(cmpi_op_sum(), name: "MPI_SUM") }
    /// `MPI_MAX`: the elementwise maximum over ranks.
    public static var max: MPIOp { MPIOp(cmpi_op_max(), name: "MPI_MAX") }
    /// `MPI_MIN`: the elementwise minimum over ranks.
    public static var min: MPIOp { MPIOp(cmpi_op_min(), name: "MPI_MIN") }

    public var description: String { name }
}
