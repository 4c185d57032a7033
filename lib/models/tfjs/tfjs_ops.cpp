#include "models/tfjs/tfjs_ops.h"

#include <limits>

#include <torch/torch.h>

#include "base/error.h"

namespace llama::models::tfjs {

namespace {

namespace F = torch::nn::functional;
using torch::Tensor;

std::vector<int64_t> to_ints(const Tensor& t) {
  Tensor c = t.to(torch::kCPU, torch::kLong).contiguous().flatten();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

int64_t axis_of(const Tensor& axis, int64_t rank) {
  int64_t a = to_ints(axis).at(0);
  return a < 0 ? a + rank : a;
}

bool is_nchw(const Node& node) {
  return attr_string(node, "data_format", "NHWC") == "NCHW";
}

// TF 'SAME' puts the odd pixel at the end (bottom/right); torch pads symmetrically, so
// padding is always explicit: {before, after} per spatial dim.
std::pair<int64_t, int64_t> same_padding(int64_t in, int64_t kernel, int64_t stride,
                                         int64_t dilation) {
  int64_t effective = (kernel - 1) * dilation + 1;
  int64_t out = (in + stride - 1) / stride;
  int64_t total = std::max<int64_t>((out - 1) * stride + effective - in, 0);
  return {total / 2, total - total / 2};
}

// Spatial padding {left, right, top, bottom} for an NCHW tensor, from the node's padding attr.
std::vector<int64_t> spatial_padding(const Node& node, const Tensor& nchw, int64_t kh, int64_t kw,
                                     int64_t sh, int64_t sw, int64_t dh, int64_t dw) {
  std::string padding = attr_string(node, "padding", "VALID");
  if (padding == "SAME") {
    auto [top, bottom] = same_padding(nchw.size(2), kh, sh, dh);
    auto [left, right] = same_padding(nchw.size(3), kw, sw, dw);
    return {left, right, top, bottom};
  }
  if (padding == "EXPLICIT") {
    std::vector<int64_t> p = attr_ints(node, "explicit_paddings");  // [rank, 2] in data layout
    bool nchw_layout = is_nchw(node);
    int64_t h = nchw_layout ? 2 : 1, w = nchw_layout ? 3 : 2;
    return {p.at(2 * w), p.at(2 * w + 1), p.at(2 * h), p.at(2 * h + 1)};
  }
  return {0, 0, 0, 0};
}

// [N, H, W, C] view as [N, C, H, W] (or the node's own NCHW input as is).
Tensor to_nchw(const Node& node, const Tensor& x) {
  return is_nchw(node) ? x : x.permute({0, 3, 1, 2});
}
Tensor from_nchw(const Node& node, const Tensor& x) {
  return is_nchw(node) ? x : x.permute({0, 2, 3, 1});
}

std::pair<int64_t, int64_t> hw(const Node& node, const std::vector<int64_t>& four) {
  if (four.size() != 4) return {1, 1};
  return is_nchw(node) ? std::make_pair(four[2], four[3]) : std::make_pair(four[1], four[2]);
}

Tensor apply_fused(const Node& node, Tensor y, const std::vector<Tensor>& in) {
  std::vector<std::string> fused = attr_strings(node, "fused_ops");
  size_t extra = 2;  // inputs after x and filter: bias, then the activation's argument
  bool nchw = is_nchw(node);
  for (const std::string& op : fused) {
    if (op == "BiasAdd") {
      Tensor bias = in.at(extra++);
      y = nchw ? y + bias.view({1, -1, 1, 1}) : y + bias;
    } else if (op == "Relu") {
      y = torch::relu(y);
    } else if (op == "Relu6") {
      y = torch::clamp(y, 0, 6);
    } else if (op == "Prelu") {
      Tensor alpha = in.at(extra++);
      if (nchw) alpha = alpha.view({1, -1, 1, 1});
      y = torch::where(y > 0, y, y * alpha);
    } else if (op == "LeakyRelu") {
      y = F::leaky_relu(
          y, F::LeakyReLUFuncOptions().negative_slope(attr_float(node, "leakyrelu_alpha", 0.2)));
    } else if (op == "Sigmoid") {
      y = torch::sigmoid(y);
    } else if (op == "Elu") {
      y = F::elu(y);
    } else {
      throw Error(ExitCode::bad_spec,
                  "node '" + node.name + "': fused op " + op + " is not supported");
    }
  }
  return y;
}

Tensor conv2d(const Node& node, const std::vector<Tensor>& in, bool depthwise) {
  Tensor x = to_nchw(node, in.at(0));
  Tensor filter = in.at(1);  // [kh, kw, in, out] or depthwise [kh, kw, in, multiplier]
  auto [sh, sw] = hw(node, attr_ints(node, "strides"));
  auto [dh, dw] = hw(node, attr_ints(node, "dilations"));
  int64_t kh = filter.size(0), kw = filter.size(1);
  Tensor weight;
  int64_t groups = 1;
  if (depthwise) {
    groups = filter.size(2);
    weight = filter.permute({2, 3, 0, 1}).reshape({filter.size(2) * filter.size(3), 1, kh, kw});
  } else {
    weight = filter.permute({3, 2, 0, 1});
  }
  std::vector<int64_t> pad = spatial_padding(node, x, kh, kw, sh, sw, dh, dw);
  if (pad[0] || pad[1] || pad[2] || pad[3]) x = F::pad(x, F::PadFuncOptions(pad));
  std::vector<int64_t> stride = {sh, sw}, no_padding = {0, 0}, dilation = {dh, dw};
  Tensor y;
  if (x.is_cpu() && x.scalar_type() == torch::kFloat && at::hasMKLDNN()) {
    // torch::conv2d sends 1x1 convolutions to a matmul on Debian's reference BLAS; oneDNN
    // runs them ~20x faster, and takes our NHWC views as channels-last without a copy.
    y = torch::mkldnn_convolution(x, weight.contiguous(), Tensor(), no_padding, stride, dilation,
                                  groups);
  } else {
    y = torch::conv2d(x, weight.contiguous(), Tensor(), stride, no_padding, dilation, groups);
  }
  return from_nchw(node, y);
}

Tensor pool(const Node& node, const Tensor& input, bool max) {
  Tensor x = to_nchw(node, input);
  auto [kh, kw] = hw(node, attr_ints(node, "ksize"));
  auto [sh, sw] = hw(node, attr_ints(node, "strides"));
  std::vector<int64_t> pad = spatial_padding(node, x, kh, kw, sh, sw, 1, 1);
  bool padded = pad[0] || pad[1] || pad[2] || pad[3];
  Tensor y;
  if (max) {
    // MaxPool SAME pads with -inf: padding never wins the max.
    if (padded)
      x = F::pad(x, F::PadFuncOptions(pad).value(-std::numeric_limits<float>::infinity()));
    y = torch::max_pool2d(x, {kh, kw}, {sh, sw});
  } else if (!padded) {
    y = torch::avg_pool2d(x, {kh, kw}, {sh, sw});
  } else {
    // AvgPool SAME divides by the pixels inside the image only.
    Tensor sums =
        torch::avg_pool2d(F::pad(x, F::PadFuncOptions(pad)), {kh, kw}, {sh, sw}) * (kh * kw);
    Tensor ones = torch::ones({1, 1, x.size(2), x.size(3)}, x.options());
    Tensor counts =
        torch::avg_pool2d(F::pad(ones, F::PadFuncOptions(pad)), {kh, kw}, {sh, sw}) * (kh * kw);
    y = sums / counts;
  }
  return from_nchw(node, y);
}

Tensor conv2d_backprop_input(const Node& node, const std::vector<Tensor>& in) {
  std::vector<int64_t> out_shape = to_ints(in.at(0));  // NHWC
  Tensor filter = in.at(1);                            // [kh, kw, out_channels, in_channels]
  Tensor x = to_nchw(node, in.at(2));
  auto [sh, sw] = hw(node, attr_ints(node, "strides"));
  std::vector<int64_t> stride = {sh, sw};
  Tensor y =
      torch::conv_transpose2d(x, filter.permute({3, 2, 0, 1}).contiguous(), Tensor(), stride);
  // The full transposed conv, cropped the way TF pads: the extra pixel at the end.
  int64_t out_h = is_nchw(node) ? out_shape[2] : out_shape[1];
  int64_t out_w = is_nchw(node) ? out_shape[3] : out_shape[2];
  int64_t top = 0, left = 0;
  if (attr_string(node, "padding", "VALID") == "SAME") {
    top = std::max<int64_t>(y.size(2) - out_h, 0) / 2;
    left = std::max<int64_t>(y.size(3) - out_w, 0) / 2;
  }
  y = y.slice(2, top, top + out_h).slice(3, left, left + out_w);
  return from_nchw(node, y);
}

Tensor resize_bilinear(const Node& node, const Tensor& input, const Tensor& size) {
  std::vector<int64_t> s = to_ints(size);
  bool align = attr_bool(node, "align_corners", false);
  bool half = attr_bool(node, "half_pixel_centers", false);
  Tensor x = input.permute({0, 3, 1, 2}).to(torch::kFloat);
  if (align || half) {
    // half_pixel_centers is torch's align_corners=false; align_corners is its own.
    Tensor y = F::interpolate(
        x, F::InterpolateFuncOptions().size(s).mode(torch::kBilinear).align_corners(align));
    return y.permute({0, 2, 3, 1});
  }
  // TF's legacy mapping (src = dst * in / out, no half-pixel shift) has no torch mode.
  auto axis = [&](int64_t in, int64_t out) {
    Tensor src = torch::arange(out, x.options()) * (static_cast<double>(in) / out);
    Tensor lo = src.floor().clamp_max(in - 1);
    Tensor frac = src - lo;
    Tensor hi = (lo + 1).clamp_max(in - 1);
    return std::make_tuple(lo.to(torch::kLong), hi.to(torch::kLong), frac);
  };
  auto [y0, y1, fy] = axis(x.size(2), s[0]);
  auto [x0, x1, fx] = axis(x.size(3), s[1]);
  Tensor top = x.index_select(2, y0), bottom = x.index_select(2, y1);
  fy = fy.view({1, 1, -1, 1});
  Tensor rows = top + (bottom - top) * fy;
  Tensor left = rows.index_select(3, x0), right = rows.index_select(3, x1);
  Tensor y = left + (right - left) * fx.view({1, 1, 1, -1});
  return y.permute({0, 2, 3, 1});
}

// TF's Reshape with a batch of 1 written into the graph ([1, -1, 80] or [1, 512, 16]): keep
// the real batch instead. Graphs exported for batch 1 do this; none of ours folds a real
// batch into one row on purpose.
Tensor reshape(const Tensor& x, std::vector<int64_t> shape) {
  if (!shape.empty() && shape[0] == 1 && x.dim() > 0 && x.size(0) > 1) {
    int64_t known = 1;
    bool wildcard = false;
    for (int64_t d : shape) d < 0 ? (void)(wildcard = true) : (void)(known *= d);
    bool fits = wildcard ? x.numel() % (known * x.size(0)) == 0 : known * x.size(0) == x.numel();
    if (fits) shape[0] = x.size(0);
  }
  return x.reshape(shape);
}

Tensor gather_nd(const Tensor& params, const Tensor& indices) {
  int64_t k = indices.size(-1);
  std::vector<int64_t> strides(k, 1);
  for (int64_t i = k - 2; i >= 0; --i) strides[i] = strides[i + 1] * params.size(i + 1);
  Tensor idx = indices.to(torch::kLong);
  Tensor linear = torch::zeros(idx.sizes().slice(0, idx.dim() - 1), idx.options());
  for (int64_t i = 0; i < k; ++i) linear = linear + idx.select(-1, i) * strides[i];
  std::vector<int64_t> flat_shape = {-1};
  for (int64_t d = k; d < params.dim(); ++d) flat_shape.push_back(params.size(d));
  std::vector<int64_t> out_shape(idx.sizes().begin(), idx.sizes().end() - 1);
  for (int64_t d = k; d < params.dim(); ++d) out_shape.push_back(params.size(d));
  return params.reshape(flat_shape).index_select(0, linear.flatten()).reshape(out_shape);
}

Tensor strided_slice(const Node& node, const std::vector<Tensor>& in) {
  Tensor x = in.at(0);
  std::vector<int64_t> begin = to_ints(in.at(1)), end = to_ints(in.at(2)), step = to_ints(in.at(3));
  int64_t begin_mask = attr_int(node, "begin_mask", 0), end_mask = attr_int(node, "end_mask", 0);
  int64_t shrink = attr_int(node, "shrink_axis_mask", 0);
  if (attr_int(node, "ellipsis_mask", 0) || attr_int(node, "new_axis_mask", 0))
    throw Error(
        ExitCode::bad_spec,
        "node '" + node.name + "': StridedSlice with ellipsis or new axes is not supported");
  std::vector<int64_t> squeeze;
  for (size_t d = 0; d < begin.size(); ++d) {
    int64_t size = x.size(static_cast<int64_t>(d));
    int64_t b = (begin_mask >> d & 1) ? (step[d] > 0 ? 0 : size - 1) : begin[d];
    int64_t e = (end_mask >> d & 1) ? (step[d] > 0 ? size : -size - 1) : end[d];
    if (shrink >> d & 1) {
      b = b < 0 ? b + size : b;
      x = x.narrow(static_cast<int64_t>(d), b, 1);
      squeeze.push_back(static_cast<int64_t>(d));
      continue;
    }
    if (step[d] < 0)
      throw Error(ExitCode::bad_spec,
                  "node '" + node.name + "': negative StridedSlice steps are not supported");
    b = b < 0 ? std::max<int64_t>(b + size, 0) : std::min(b, size);
    e = e < 0 ? std::max<int64_t>(e + size, 0) : std::min(e, size);
    x = x.slice(static_cast<int64_t>(d), b, std::max(b, e), step[d]);
  }
  for (auto it = squeeze.rbegin(); it != squeeze.rend(); ++it) x = x.squeeze(*it);
  return x;
}

Tensor sparse_to_dense(const std::vector<Tensor>& in) {
  Tensor indices = in.at(0).to(torch::kLong);
  std::vector<int64_t> shape = to_ints(in.at(1));
  Tensor values = in.at(2);
  Tensor dense = torch::full(shape, in.at(3).item(), values.options());
  if (indices.dim() < 2) indices = indices.reshape({-1, 1});
  Tensor flat = dense.view({-1});
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  Tensor linear = torch::zeros({indices.size(0)}, indices.options());
  for (int64_t i = 0; i < indices.size(1); ++i) linear = linear + indices.select(1, i) * strides[i];
  flat.index_put_({linear}, values.expand({indices.size(0)}));
  return dense;
}

std::vector<int64_t> axes(const Tensor& t, int64_t rank) {
  std::vector<int64_t> a = to_ints(t);
  for (int64_t& x : a) x = x < 0 ? x + rank : x;
  return a;
}

}  // namespace

std::vector<Tensor> run_node(const Node& node, const std::vector<Tensor>& in) {
  const std::string& op = node.op;
  if (op == "Identity") return {in.at(0)};
  if (op == "_FusedConv2D") return {apply_fused(node, conv2d(node, in, false), in)};
  if (op == "Conv2D") return {conv2d(node, in, false)};
  if (op == "DepthwiseConv2dNative") return {conv2d(node, in, true)};
  if (op == "FusedDepthwiseConv2dNative") return {apply_fused(node, conv2d(node, in, true), in)};
  if (op == "Conv2DBackpropInput") return {conv2d_backprop_input(node, in)};
  if (op == "MaxPool") return {pool(node, in.at(0), true)};
  if (op == "AvgPool") return {pool(node, in.at(0), false)};
  if (op == "Pad" || op == "PadV2") {
    std::vector<int64_t> p = to_ints(in.at(1));  // [rank, 2], first dim first
    std::vector<int64_t> torch_pad;              // last dim first
    for (int64_t d = static_cast<int64_t>(p.size() / 2) - 1; d >= 0; --d) {
      torch_pad.push_back(p[2 * d]);
      torch_pad.push_back(p[2 * d + 1]);
    }
    double value = op == "PadV2" ? in.at(2).item<double>() : 0.0;
    return {F::pad(in.at(0), F::PadFuncOptions(torch_pad).value(value))};
  }
  if (op == "Add" || op == "AddV2") return {in.at(0) + in.at(1)};
  if (op == "AddN") {
    Tensor sum = in.at(0);
    for (size_t i = 1; i < in.size(); ++i) sum = sum + in[i];
    return {sum};
  }
  if (op == "Sub") return {in.at(0) - in.at(1)};
  if (op == "Mul") return {in.at(0) * in.at(1)};
  if (op == "RealDiv") return {in.at(0) / in.at(1)};
  if (op == "Maximum") return {torch::maximum(in.at(0), in.at(1))};
  if (op == "SquaredDifference") return {(in.at(0) - in.at(1)).square()};
  if (op == "FloorDiv") return {torch::div(in.at(0), in.at(1), "floor")};
  if (op == "FloorMod") return {torch::remainder(in.at(0), in.at(1))};
  if (op == "Relu") return {torch::relu(in.at(0))};
  if (op == "Relu6") return {torch::clamp(in.at(0), 0, 6)};
  if (op == "LeakyRelu")
    return {F::leaky_relu(
        in.at(0), F::LeakyReLUFuncOptions().negative_slope(attr_float(node, "alpha", 0.2)))};
  if (op == "Sigmoid") return {torch::sigmoid(in.at(0))};
  if (op == "Abs") return {torch::abs(in.at(0))};
  if (op == "Sqrt") return {torch::sqrt(in.at(0))};
  if (op == "Rsqrt") return {torch::rsqrt(in.at(0))};
  if (op == "Square") return {torch::square(in.at(0))};
  if (op == "Sum" || op == "Mean") {
    std::vector<int64_t> a = axes(in.at(1), in.at(0).dim());
    bool keep = attr_bool(node, "keep_dims", false);
    return {op == "Sum" ? torch::sum(in.at(0), a, keep) : torch::mean(in.at(0), a, keep)};
  }
  if (op == "ConcatV2") {
    std::vector<Tensor> parts(in.begin(), in.end() - 1);
    return {torch::cat(parts, axis_of(in.back(), parts.at(0).dim()))};
  }
  if (op == "SplitV") {
    int64_t axis = axis_of(in.at(2), in.at(0).dim());
    std::vector<int64_t> sizes = to_ints(in.at(1));
    int64_t known = 0, unknown = -1;
    for (size_t i = 0; i < sizes.size(); ++i)
      sizes[i] < 0 ? unknown = static_cast<int64_t>(i) : known += sizes[i];
    if (unknown >= 0) sizes[unknown] = in.at(0).size(axis) - known;
    auto parts = torch::split_with_sizes(in.at(0), sizes, axis);
    return std::vector<Tensor>(parts.begin(), parts.end());
  }
  if (op == "Reshape") return {reshape(in.at(0), to_ints(in.at(1)))};
  if (op == "Transpose") return {in.at(0).permute(to_ints(in.at(1)))};
  if (op == "ResizeBilinear") return {resize_bilinear(node, in.at(0), in.at(1))};
  if (op == "Cast") {
    std::string type = attr_type(node, "DstT");
    if (type == "DT_FLOAT") return {in.at(0).to(torch::kFloat)};
    if (type == "DT_INT32") return {in.at(0).to(torch::kInt32)};
    if (type == "DT_BOOL") return {in.at(0).to(torch::kBool)};
    throw Error(ExitCode::bad_spec,
                "node '" + node.name + "': Cast to " + type + " is not supported");
  }
  if (op == "ExpandDims") {
    int64_t a = to_ints(in.at(1)).at(0);
    return {in.at(0).unsqueeze(a < 0 ? a + in.at(0).dim() + 1 : a)};
  }
  if (op == "Squeeze") {
    std::vector<int64_t> dims = attr_ints(node, "squeeze_dims");
    if (dims.empty()) dims = attr_ints(node, "axis");
    if (dims.empty()) return {in.at(0).squeeze()};
    Tensor x = in.at(0);
    for (int64_t& d : dims) d = d < 0 ? d + x.dim() : d;
    std::sort(dims.rbegin(), dims.rend());
    for (int64_t d : dims) x = x.squeeze(d);
    return {x};
  }
  if (op == "Pack") {
    int64_t axis = attr_int(node, "axis", 0);
    std::vector<Tensor> parts;
    for (const Tensor& t : in) parts.push_back(t.to(in.at(0).scalar_type()));
    return {torch::stack(parts, axis < 0 ? axis + in.at(0).dim() + 1 : axis)};
  }
  if (op == "Unpack") {
    int64_t axis = attr_int(node, "axis", 0);
    auto parts = torch::unbind(in.at(0), axis < 0 ? axis + in.at(0).dim() : axis);
    return std::vector<Tensor>(parts.begin(), parts.end());
  }
  if (op == "ArgMax")
    return {torch::argmax(in.at(0), axis_of(in.at(1), in.at(0).dim())).to(torch::kInt32)};
  if (op == "GatherV2") {
    int64_t axis = axis_of(in.at(2), in.at(0).dim());
    Tensor indices = in.at(1).to(torch::kLong);
    std::vector<int64_t> shape(in.at(0).sizes().begin(), in.at(0).sizes().begin() + axis);
    for (int64_t d : indices.sizes()) shape.push_back(d);
    for (int64_t d = axis + 1; d < in.at(0).dim(); ++d) shape.push_back(in.at(0).size(d));
    return {in.at(0).index_select(axis, indices.flatten()).reshape(shape)};
  }
  if (op == "GatherNd") return {gather_nd(in.at(0), in.at(1))};
  if (op == "StridedSlice") return {strided_slice(node, in)};
  if (op == "SparseToDense") return {sparse_to_dense(in)};
  throw Error(ExitCode::bad_spec, "node '" + node.name + "': op " + op + " is not supported");
}

}  // namespace llama::models::tfjs
