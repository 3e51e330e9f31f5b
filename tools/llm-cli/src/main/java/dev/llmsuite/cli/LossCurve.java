package dev.llmsuite.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The training loss over steps as a small self-contained SVG, written next to the checkpoints. */
final class LossCurve {
    record Point(long step, double loss) {}

    private LossCurve() {}

    static void write(Path file, String title, List<Point> points) throws IOException {
        if (points.size() < 2) return;
        int w = 640, h = 360, left = 56, right = 16, top = 32, bottom = 40;
        long maxStep = points.getLast().step(), minStep = points.getFirst().step();
        double maxLoss = points.stream().mapToDouble(Point::loss).max().orElse(1);
        double minLoss = Math.min(0, points.stream().mapToDouble(Point::loss).min().orElse(0));
        StringBuilder path = new StringBuilder();
        for (Point p : points) {
            double x = left + (w - left - right) * (double) (p.step() - minStep) / Math.max(1, maxStep - minStep);
            double y = top + (h - top - bottom) * (1 - (p.loss() - minLoss) / Math.max(1e-9, maxLoss - minLoss));
            path.append(path.isEmpty() ? "M" : " L").append(String.format("%.1f %.1f", x, y));
        }
        StringBuilder svg = new StringBuilder();
        svg.append(String.format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n", w, h));
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.append(String.format("<text x=\"%d\" y=\"20\" font-size=\"14\">%s</text>%n", left, escape(title)));
        svg.append(String.format("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>%n", left, h - bottom, w - right, h - bottom));
        svg.append(String.format("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>%n", left, top, left, h - bottom));
        svg.append(String.format("<text x=\"%d\" y=\"%d\">step %d</text>%n", left, h - 12, minStep));
        svg.append(String.format("<text x=\"%d\" y=\"%d\" text-anchor=\"end\">step %d</text>%n", w - right, h - 12, maxStep));
        svg.append(String.format("<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.1f</text>%n", left - 6, top + 4, maxLoss));
        svg.append(String.format("<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.1f</text>%n", left - 6, h - bottom, minLoss));
        svg.append(String.format("<path d=\"%s\" fill=\"none\" stroke=\"#1f6feb\" stroke-width=\"2\"/>%n", path));
        svg.append("</svg>\n");
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, svg);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
