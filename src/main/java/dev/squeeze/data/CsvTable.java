package dev.squeeze.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.csv.CsvFactory;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import dev.squeeze.SqueezeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a CSV file (Jackson's CSV module, streamed row by row) into float features and the label column's cells.
 * The header is optional: a first row that is all numbers is data. Every feature cell must be a finite number; one
 * that is not is an error naming {@code file:line:column}.
 */
final class CsvTable {
    private static final CsvFactory FACTORY = new CsvFactory().enable(CsvParser.Feature.TRIM_SPACES);

    private CsvTable() {}

    /** A file's features ({@code rows x features} floats) and label cells (null when read without labels). */
    record Read(int features, float[] values, String[] labels) {}

    /**
     * @param column the label column: a header name or a 0-based index; null when the data has no labels
     */
    static Read read(Path file, String column) {
        try (JsonParser p = FACTORY.createParser(Files.newBufferedReader(file))) {
            List<String> header = null;
            int labelAt = -1, width = -1, rows = 0;
            float[] values = new float[1 << 16];
            var labels = new ArrayList<String>();
            int at = 0;
            while (true) {
                JsonToken t = p.nextToken();
                if (t == null) break;
                if (t != JsonToken.START_ARRAY) continue;
                int[] line = new int[1];
                List<String> cells = row(p, line);
                if (cells.size() == 1 && cells.get(0).isEmpty()) continue; // a blank line
                if (width < 0) {
                    width = cells.size();
                    if (!cells.stream().allMatch(CsvTable::isNumber)) {
                        header = cells;
                        labelAt = labelColumn(file, column, header, width);
                        continue;
                    }
                    labelAt = labelColumn(file, column, null, width);
                }
                if (cells.size() != width) {
                    throw new SqueezeException(file + ":" + line[0] + ": the row has " + cells.size() + " cells but the first row has " + width
                            + ": give every row the same columns");
                }
                int features = width - (labelAt >= 0 ? 1 : 0);
                if (at + features > values.length) values = Arrays.copyOf(values, Math.max(at + features, Math.multiplyExact(values.length, 2)));
                for (int c = 0; c < width; c++) {
                    String cell = cells.get(c);
                    if (c == labelAt) {
                        labels.add(cell);
                        continue;
                    }
                    float v;
                    try {
                        v = Float.parseFloat(cell);
                    } catch (NumberFormatException e) {
                        v = Float.NaN;
                    }
                    if (!Float.isFinite(v)) {
                        String name = header != null ? " (" + header.get(c) + ")" : "";
                        throw new SqueezeException(file + ":" + line[0] + ":" + (c + 1) + ": cell '" + cell + "'" + name
                                + " is not a number: every feature cell must be one (fix or drop the row)");
                    }
                    values[at++] = v;
                }
                rows++;
            }
            if (rows == 0) throw new SqueezeException(file + " holds no data rows: give it one row per sample");
            int features = width - (labelAt >= 0 ? 1 : 0);
            if (features == 0) throw new SqueezeException(file + " has only the label column: give it feature columns too");
            return new Read(features, Arrays.copyOf(values, at), labelAt >= 0 ? labels.toArray(String[]::new) : null);
        } catch (NoSuchFileException e) {
            throw new SqueezeException(file + ": no such file: fix the path in the data file");
        } catch (IOException e) {
            throw new SqueezeException(file + ": cannot read it as CSV (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
    }

    /** The cells of the row the parser is at; {@code line[0]} becomes its line (its first cell's: a row's start token reads as the line before). */
    private static List<String> row(JsonParser p, int[] line) throws IOException {
        var cells = new ArrayList<String>();
        for (JsonToken t = p.nextToken(); t != null && t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (cells.isEmpty()) line[0] = p.currentTokenLocation().getLineNr();
            cells.add(p.getText());
        }
        return cells;
    }

    private static int labelColumn(Path file, String column, List<String> header, int width) {
        if (column == null) return -1;
        if (column.matches("\\d+")) {
            int i = Integer.parseInt(column);
            if (i >= width) throw new SqueezeException(file + " has " + width + " columns, so no label column " + i + " (0-based): fix labels column");
            return i;
        }
        if (header == null) {
            throw new SqueezeException(file + " has no header row, so no column named '" + column
                    + "': add a header, or give labels: {column: N} with the label column's 0-based index");
        }
        int i = header.indexOf(column);
        if (i < 0) {
            throw new SqueezeException(file + " has no label column '" + column + "' (its header: " + abbreviate(header)
                    + "): fix labels column, or declare labels: none for data without labels");
        }
        return i;
    }

    private static String abbreviate(List<String> header) {
        return header.size() <= 8 ? String.join(", ", header) : String.join(", ", header.subList(0, 6)) + ", ... " + header.get(header.size() - 1);
    }

    private static boolean isNumber(String s) {
        try {
            return Float.isFinite(Float.parseFloat(s));
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
