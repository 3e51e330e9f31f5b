package dev.llmsuite.cli;

/** Progress on the terminal: one line rewritten in place on a console, plain lines when piped. */
final class Progress {
    private final boolean console = System.console() != null && System.console().isTerminal();
    private String lastStatus = "";
    private long lastPrinted;

    synchronized void line(String text) {
        clear();
        System.out.println(text);
    }

    /** A status that replaces the previous one; when piped, printed at most every 2 s. */
    synchronized void status(String text) {
        if (console) {
            clear();
            System.out.print(text);
            System.out.flush();
            lastStatus = text;
        } else if (System.nanoTime() - lastPrinted > 2_000_000_000L) {
            System.out.println(text);
            lastPrinted = System.nanoTime();
        }
    }

    synchronized void done() {
        if (console && !lastStatus.isEmpty()) System.out.println();
        lastStatus = "";
    }

    private void clear() {
        if (console && !lastStatus.isEmpty()) {
            System.out.print("\r" + " ".repeat(lastStatus.length()) + "\r");
            lastStatus = "";
        }
    }
}
