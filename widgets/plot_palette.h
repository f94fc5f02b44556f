#pragma once

class QCustomPlot;

namespace ckpt {

/// Makes a plot follow its widget palette (background, axes, labels, grid, legend), now and
/// whenever the palette changes, so a dark system theme stays readable.
void followPalette(QCustomPlot *plot);

} // namespace ckpt
