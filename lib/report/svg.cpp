#include "report/svg.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace llama::report {

namespace {

// Room above the plot for the title and two lines of legend.
constexpr int kLeft = 170, kRight = 20, kTop = 62, kBottom = 45;

// Round tick steps (1, 2, 5 x 10^k) for about `count` ticks.
double tick_step(double span, int count) {
  if (span <= 0) return 1;
  double raw = span / count, power = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * power) return m * power;
  return 10 * power;
}

std::string number(double v) {
  if (std::abs(v) >= 1000 || v == std::floor(v)) return fmt::format("{:.0f}", v);
  if (std::abs(v) >= 10) return fmt::format("{:.1f}", v);
  return fmt::format("{:.3g}", v);
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string colour_of(size_t index) {
  static const char* palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  return palette[index % (sizeof palette / sizeof *palette)];
}

SvgChart::SvgChart(std::string title, Axis x, Axis y, int width, int height)
    : title_(std::move(title)), x_(std::move(x)), y_(std::move(y)), width_(width), height_(height) {
  if (x_.max <= x_.min) x_.max = x_.min + 1;
  if (y_.max <= y_.min) y_.max = y_.min + 1;
}

double SvgChart::px(double x) const {
  return kLeft + (x - x_.min) / (x_.max - x_.min) * (width_ - kLeft - kRight);
}

double SvgChart::py(double y) const {
  return height_ - kBottom - (y - y_.min) / (y_.max - y_.min) * (height_ - kTop - kBottom);
}

void SvgChart::line(const std::vector<std::pair<double, double>>& points, const std::string& color,
                    const std::string& name, bool dashed) {
  if (points.empty()) return;
  std::string d;
  for (const auto& [x, y] : points)
    d += fmt::format("{}{:.1f},{:.1f}", d.empty() ? "M" : " L", px(x), py(y));
  marks_ += fmt::format(
      "<path class=\"mark\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}><title>{}"
      "</title></path>\n",
      d, color, dashed ? " stroke-dasharray=\"6 4\"" : "", html_escape(name));
  legend(name, color);
}

void SvgChart::vertical(double x, const std::string& color, const std::string& name) {
  marks_ += fmt::format(
      "<line class=\"mark\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"{3}\" "
      "stroke-width=\"2\"><title>{4}</title></line>\n",
      px(x), kTop, height_ - kBottom, color, html_escape(name));
  legend(name, color);
}

void SvgChart::box(double x0, double y0, double x1, double y1, const std::string& color,
                   const std::string& tip) {
  const double left = px(x0), right = std::max(px(x1), left + 0.5);
  const double top = py(y1), bottom = py(y0);
  marks_ += fmt::format(
      "<rect class=\"mark\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
      "fill=\"{}\"><title>{}</title></rect>\n",
      left, top, right - left, std::max(bottom - top, 0.5), color, html_escape(tip));
}

void SvgChart::row_label(double y, const std::string& text) {
  categorical_y_ = true;
  marks_ +=
      fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" font-size=\"11\">{}</text>\n",
                  kLeft - 6, py(y) + 4, html_escape(text));
}

void SvgChart::legend(const std::string& name, const std::string& color) {
  for (const auto& entry : legend_)
    if (entry.first == name) return;
  legend_.emplace_back(name, color);
}

std::string SvgChart::str() const {
  std::string out = fmt::format(
      "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" role=\"img\" aria-label=\"{2}\">\n"
      "<text x=\"{3}\" y=\"18\" font-weight=\"bold\" font-size=\"13\">{2}</text>\n",
      width_, height_, html_escape(title_), kLeft);
  const int plot_bottom = height_ - kBottom;
  out += fmt::format(
      "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke=\"#333\"/>\n"
      "<line x1=\"{0}\" x2=\"{0}\" y1=\"{3}\" y2=\"{2}\" stroke=\"#333\"/>\n",
      kLeft, width_ - kRight, plot_bottom, kTop);
  const double xs = tick_step(x_.max - x_.min, 8);
  for (double t = std::ceil(x_.min / xs) * xs; t <= x_.max + 1e-9; t += xs)
    out += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#333\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\" font-size=\"11\">{4}</text>\n",
        px(t), plot_bottom, plot_bottom + 4, plot_bottom + 16, number(t));
  if (!categorical_y_) {
    const double ys = tick_step(y_.max - y_.min, 5);
    for (double t = std::ceil(y_.min / ys) * ys; t <= y_.max + 1e-9; t += ys)
      out += fmt::format(
          "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>"
          "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\" font-size=\"11\">{5}</text>\n",
          kLeft, width_ - kRight, py(t), kLeft - 6, py(t) + 4, number(t));
  }
  out += fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\">{}</text>\n"
      "<text x=\"14\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\" "
      "transform=\"rotate(-90 14 {})\">{}</text>\n",
      (kLeft + width_ - kRight) / 2, height_ - 8, html_escape(x_.label), (kTop + plot_bottom) / 2,
      (kTop + plot_bottom) / 2, html_escape(y_.label));
  out += marks_;
  // The legend on its own line under the title, left to right.
  int lx = kLeft, ly = 27;
  for (const auto& [name, color] : legend_) {
    const int w = 14 + 6 * static_cast<int>(name.size()) + 14;
    if (lx + w > width_ && lx > kLeft) lx = kLeft, ly += 15;
    out += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text>\n",
        lx, ly, color, lx + 14, ly + 9, html_escape(name));
    lx += w;
  }
  return out + "</svg>\n";
}

std::string bar_chart(const std::string& title, const std::string& unit,
                      const std::vector<std::string>& rows, const std::vector<BarSeries>& series) {
  double most = 0;
  for (const BarSeries& s : series)
    for (double v : s.values) most = std::max(most, v);
  const double row_height = std::max<double>(series.size(), 1);
  const int height = 120 + static_cast<int>(rows.size() * (6 + 12 * series.size()));
  SvgChart chart(title, {unit, 0, most > 0 ? most * 1.05 : 1},
                 {"", 0, static_cast<double>(rows.size()) * (row_height + 0.5)}, 760, height);
  for (size_t r = 0; r < rows.size(); ++r) {
    const double base = (static_cast<double>(rows.size() - 1 - r)) * (row_height + 0.5);
    chart.row_label(base + row_height / 2, rows[r]);
    for (size_t s = 0; s < series.size(); ++s) {
      const double v = r < series[s].values.size() ? series[s].values[r] : -1;
      if (v < 0) continue;
      const double y = base + row_height - 1 - static_cast<double>(s);
      chart.box(0, y + 0.1, v, y + 0.9, series[s].color,
                fmt::format("{}: {} {}", rows[r], series[s].name, number(v)));
    }
  }
  for (const BarSeries& s : series) chart.legend(s.name, s.color);
  return chart.str();
}

}  // namespace llama::report
