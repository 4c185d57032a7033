// Torch (through glog) defines CHECK and CHECK_EQ...; doctest needs those names. Tests that
// use torch include this instead of <doctest/doctest.h>, so doctest's macros win.
#pragma once

#include <torch/torch.h>

#undef CHECK
#undef CHECK_EQ
#undef CHECK_NE
#undef CHECK_LE
#undef CHECK_LT
#undef CHECK_GE
#undef CHECK_GT

#include <doctest/doctest.h>
