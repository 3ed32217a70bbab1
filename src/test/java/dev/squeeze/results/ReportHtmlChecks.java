package dev.squeeze.results;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Finds elements of report.html (as written, or as the browser's DOM dump) by id, without an HTML parser. */
final class ReportHtmlChecks {
    private ReportHtmlChecks() {}

    /** The element with this id, from its start tag to its matching end tag (svg, table and p are not nested in themselves here). */
    static String element(String html, String id) {
        Matcher m = Pattern.compile("<(\\w+)[^>]*\\sid=\"" + Pattern.quote(id) + "\"[^>]*>").matcher(html);
        if (!m.find()) throw new AssertionError("no element with id '" + id + "'");
        int end = html.indexOf("</" + m.group(1) + ">", m.end());
        return html.substring(m.start(), end < 0 ? html.length() : end);
    }

    /** An attribute of the start tag of the element with this id. */
    static String attribute(String html, String id, String attribute) {
        String element = element(html, id);
        Matcher m = Pattern.compile("\\s" + Pattern.quote(attribute) + "=\"([^\"]*)\"").matcher(element.substring(0, element.indexOf('>') + 1));
        return m.find() ? m.group(1) : null;
    }

    static int count(String text, String fragment) {
        int n = 0;
        for (int i = text.indexOf(fragment); i >= 0; i = text.indexOf(fragment, i + 1)) n++;
        return n;
    }
}
