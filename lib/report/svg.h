// Charts as inline SVG text, for report.html: no script, no library, nothing fetched, so the
// page opens offline and draws the same in every browser. A chart always names its axes and
// their units (the constructor takes them).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace llama::report {

std::string html_escape(const std::string& text);

struct Axis {
  std::string label;  // with its unit: "time (s)"
  double min = 0;
  double max = 1;
};

class SvgChart {
 public:
  SvgChart(std::string title, Axis x, Axis y, int width = 760, int height = 260);

  void line(const std::vector<std::pair<double, double>>& points, const std::string& color,
            const std::string& name, bool dashed = false);
  void vertical(double x, const std::string& color, const std::string& name);
  // A box from (x0, y0) to (x1, y1) in data units; `tip` shows on hover.
  void box(double x0, double y0, double x1, double y1, const std::string& color,
           const std::string& tip);
  // A label at the left of row y (categorical y axes: slots, ops).
  void row_label(double y, const std::string& text);
  void legend(const std::string& name, const std::string& color);
  std::string str() const;

 private:
  double px(double x) const;
  double py(double y) const;

  std::string title_;
  Axis x_, y_;
  int width_, height_;
  bool categorical_y_ = false;
  std::string marks_;
  std::vector<std::pair<std::string, std::string>> legend_;
};

// Horizontal grouped bars: one row per label, one bar per series.
struct BarSeries {
  std::string name;
  std::string color;
  std::vector<double> values;  // one per row; negative: none
};
std::string bar_chart(const std::string& title, const std::string& unit,
                      const std::vector<std::string>& rows, const std::vector<BarSeries>& series);

// A colour per name, stable across the charts of one page.
std::string colour_of(size_t index);

}  // namespace llama::report
