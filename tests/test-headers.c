/* test-headers.c — the umbrella header compiles on its own, strictly. */
#include "casemix.h"

int
main (void)
{
  return cm_scheme_error_quark () == 0;
}
