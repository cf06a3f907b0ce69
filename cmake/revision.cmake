# Writes OUT, a header defining TRADEOFF_REVISION (the source revision results record,
# experiments/provenance.c): `git describe --always --dirty` of SRC, "-dirty" when the
# tree differs from the commit, "unknown" outside a git checkout. Run at every build (the
# tradeoff_revision target), so an edit without a commit is said; OUT is rewritten only
# when the revision changes, so provenance.c recompiles only then.
#   cmake -DSRC=<source dir> -DGIT=<git or empty> -DOUT=<header> -P revision.cmake
set(rev "unknown")
if(GIT AND EXISTS "${SRC}/.git")
  execute_process(COMMAND "${GIT}" -C "${SRC}" describe --always --dirty --abbrev=12
                  OUTPUT_VARIABLE described OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                  RESULT_VARIABLE rc)
  if(rc EQUAL 0 AND described)
    set(rev "${described}")
  endif()
endif()
set(text "/* written by cmake/revision.cmake */\n#define TRADEOFF_REVISION \"${rev}\"\n")
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
