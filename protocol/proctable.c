/* Lookup in the generated procedure tables (see gen_proctable.py). */
#include "proctable.h"

const mvProcInfo *
mvProgramLookupProc(const mvProgramInfo *prog, int proc)
{
    const mvProcInfo *info;

    if (!prog || proc <= 0 || proc >= prog->nprocs)
        return NULL;
    info = &prog->procs[proc];
    if (info->proc != proc)   /* a hole: never defined */
        return NULL;
    return info;
}
