#include "trace/trace-hw_misc_ember.h"
