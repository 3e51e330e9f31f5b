package dev.llmsuite.services.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A watcher that reads slower than events arrive: within {@link DashboardEvents#MAX_PENDING} it gets every event in
 * order, none skipped (a live page must not miss a point); beyond it its stream ends, and the page reloads the
 * history; the other watchers go on.
 */
class DashboardEventsTest {
    private static DashboardEvent step(long n) {
        return DashboardEvent.of(new StepMetrics("job", "data", n, 0, n, 8, 1.0, null, null, null, null, null));
    }

    @Test
    void aBurstWithinTheBoundArrivesWholeAndBeyondItTheStreamEnds() {
        DashboardEvents events = new DashboardEvents();
        AssertSubscriber<DashboardEvent> slow = events.stream().subscribe().withSubscriber(AssertSubscriber.create(1));
        AssertSubscriber<DashboardEvent> fast = events.stream().subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
        for (int n = 1; n <= DashboardEvents.MAX_PENDING; n++) events.publish(step(n));
        slow.request(Long.MAX_VALUE);
        List<DashboardEvent> got = slow.getItems();
        assertEquals(DashboardEvents.MAX_PENDING, got.size(), "every event of a burst within the bound");
        for (int i = 0; i < got.size(); i++) assertEquals(i + 1, got.get(i).step().step(), "in order, none skipped");

        AssertSubscriber<DashboardEvent> stalled = events.stream().subscribe().withSubscriber(AssertSubscriber.create(0));
        for (int n = 1; n <= DashboardEvents.MAX_PENDING + 5; n++) events.publish(step(n));
        stalled.assertCompleted(); // ended, not failed: the page's reader sees the end and reconnects
        assertTrue(stalled.getItems().isEmpty());
        assertEquals(2 * DashboardEvents.MAX_PENDING + 5, fast.getItems().size(), "the others go on");
        slow.assertNotTerminated();
    }
}
