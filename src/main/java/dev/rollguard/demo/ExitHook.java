package dev.rollguard.demo;

/**
 * Stops something the demo started when the JVM exits before it is closed (Ctrl-C mid-demo must not leave a daemon
 * running), and no longer once it is closed.
 */
final class ExitHook {
    private final Thread thread;

    ExitHook(String name, Runnable stop) {
        this.thread = new Thread(stop, name);
    }

    void arm() {
        Runtime.getRuntime().addShutdownHook(thread);
    }

    void disarm() {
        try {
            Runtime.getRuntime().removeShutdownHook(thread);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // shutting down already, or never armed
        }
    }
}
