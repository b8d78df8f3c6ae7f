// Open MPI seen from Swift.
//
// Swift imports plain integer macros (MPI_SUCCESS, MPI_ANY_SOURCE, MPI_MAX_ERROR_STRING) and the
// thread-level enum on its own. The handles below are macros that cast the address of a global to a
// pointer type, which Swift cannot see; each one MeshMPI uses is wrapped in a `cmpi_` getter that
// returns a non-null handle. Wrap only what is used: add a getter when MeshMPI needs a new constant.
#ifndef CMPI_SHIM_H
#define CMPI_SHIM_H

#include <mpi.h>

// Communicators and error handlers.
static inline MPI_Comm _Nonnull cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Errhandler _Nonnull cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }

// Requests and buffers.
static inline MPI_Request _Nonnull cmpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline void *_Nonnull cmpi_in_place(void) { return MPI_IN_PLACE; }

// Datatypes, one per Swift element type MeshMPI moves (see MPIElement).
static inline MPI_Datatype _Nonnull cmpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype _Nonnull cmpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype _Nonnull cmpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype _Nonnull cmpi_uint8(void) { return MPI_UINT8_T; }
static inline MPI_Datatype _Nonnull cmpi_uint16(void) { return MPI_UINT16_T; }
static inline MPI_Datatype _Nonnull cmpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype _Nonnull cmpi_int64(void) { return MPI_INT64_T; }

// Reduction operations (see MPIOp).
static inline MPI_Op _Nonnull cmpi_op_sum(void) { return MPI_SUM; }
static inline MPI_Op _Nonnull cmpi_op_max(void) { return MPI_MAX; }
static inline MPI_Op _Nonnull cmpi_op_min(void) { return MPI_MIN; }

#endif // CMPI_SHIM_H
