package dev.squeeze;

/**
 * Where long-running work reports how far it is. Library code calls {@link #update} as often as it
 * likes; the terminal implementation throttles and redraws one line.
 */
public interface Progress {
    /** A status line replacing the previous one (e.g. "epoch 2/8 batch 300/860 loss 0.31"). */
    void update(String status);

    /** A line that stays (e.g. an epoch summary). */
    void log(String line);

    /** Reports nothing (tests, quiet mode). */
    Progress NONE = new Progress() {
        public void update(String status) {}
        public void log(String line) {}
    };
}
