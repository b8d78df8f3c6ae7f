// The C door to OpenBLAS. Only MeshTensor imports this module.
//
// The include path comes from pkg-config (`openblas`), so this header names
// no distribution-specific directory. `cblas.h` as shipped by OpenBLAS also
// declares `openblas_set_num_threads` and `openblas_get_num_threads`, which
// BLASThreads uses; no inline shims are needed because every entry point we
// call is a plain function, not a macro.
#ifndef EXPERTMESH_CBLAS_SHIM_H
#define EXPERTMESH_CBLAS_SHIM_H

#include <cblas.h>

#endif
