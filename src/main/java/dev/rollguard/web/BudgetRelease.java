package dev.rollguard.web;

import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Gives a request's share of the {@link BodyBudget} back when the request ends, however it ends: answered, refused,
 * failed, or answered later by a future (then when the asynchronous request completes, fails or times out). The share
 * is counted on the request itself; giving back takes it to zero, so a request that ends twice gives back once.
 */
final class BudgetRelease implements Filter {
    private static final String HELD = "rollguard.body.budget";
    private final BodyBudget budget;

    BudgetRelease(BodyBudget budget) {
        this.budget = budget;
    }

    /** The units this request holds (made at its first body). */
    static AtomicInteger held(ServletRequest req) {
        synchronized (req) {
            Object held = req.getAttribute(HELD);
            if (held instanceof AtomicInteger units) return units;
            AtomicInteger units = new AtomicInteger();
            req.setAttribute(HELD, units);
            return units;
        }
    }

    /** Gives back part of what the request holds (a body of unknown length turned out smaller). */
    static void giveBack(ServletRequest req, BodyBudget budget, int units) {
        held(req).addAndGet(-units);
        budget.release(units);
    }

    private void releaseAll(ServletRequest req) {
        if (req.getAttribute(HELD) instanceof AtomicInteger units) budget.release(units.getAndSet(0));
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
        try {
            chain.doFilter(req, res);
        } finally {
            if (req.isAsyncStarted()) {
                req.getAsyncContext().addListener(new AsyncListener() {
                    @Override
                    public void onComplete(AsyncEvent e) {
                        releaseAll(req);
                    }

                    @Override
                    public void onTimeout(AsyncEvent e) {
                        releaseAll(req);
                    }

                    @Override
                    public void onError(AsyncEvent e) {
                        releaseAll(req);
                    }

                    @Override
                    public void onStartAsync(AsyncEvent e) {}
                });
            } else {
                releaseAll(req);
            }
        }
    }
}
