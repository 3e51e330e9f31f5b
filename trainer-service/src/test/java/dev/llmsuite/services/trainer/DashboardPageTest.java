package dev.llmsuite.services.trainer;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.records.Split;
import dev.llmsuite.records.Topics;
import dev.llmsuite.records.TrainingBatch;
import dev.llmsuite.testing.HeadlessChromium;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.testing.TestKafka;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The training dashboard in headless Chromium: the page goes live, a job's curve gains points while it trains (fed by
 * training.metrics through the server-sent events), its checkpoints appear with their evaluations and the promoted
 * one, the promote button promotes a checkpoint by hand, and the stop button stops the job.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class DashboardPageTest {
    private static TrainingBatch batch(Split split, long index, int token) {
        int[] ids = new int[8];
        Arrays.fill(ids, token);
        return new TrainingBatch("dash", split, 0, index, "vocab", 1, 2, 4, ids, ids);
    }

    private static int points(WebDriver driver) {
        var curves = driver.findElements(By.id("curve-dash"));
        return curves.isEmpty() ? 0 : Integer.parseInt(curves.getFirst().getDomAttribute("data-points") == null ? "0"
                : curves.getFirst().getDomAttribute("data-points"));
    }

    /** Clicks what the selector finds, again if the page redrew it between finding and clicking. */
    private static void click(WebDriverWait wait, By selector) {
        wait.until(d -> {
            d.findElement(selector).click();
            return true;
        });
    }

    @Test
    void aJobsCurveGrowsWhileItTrainsAndTheButtonsPromoteAndStop() throws Exception {
        String kafka = KafkaBrokerResource.bootstrapServers();
        given().get("/webjars/uplot/1.6.30/dist/uPlot.iife.min.js").then().statusCode(200);
        given().contentType("application/json").body(Map.of("id", "dash", "dataset", "dash", "evalBatches", 1, "evalEvery", 2))
                .post("/v1/jobs").then().statusCode(201);
        TestKafka.send(kafka, Topics.VAL_BATCHES, "dash", batch(Split.VALIDATION, 0, 900).encode());

        WebDriver driver = HeadlessChromium.start();
        try {
            driver.get("http://127.0.0.1:" + RestAssured.port + "/");
            // the page redraws its tables whole: an element found may be replaced before it is read
            WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
            wait.ignoring(StaleElementReferenceException.class);
            wait.until(d -> d.findElement(By.id("status")).getText().equals("live"));
            wait.until(d -> d.findElement(By.cssSelector("tr[data-job='dash']")).getText().contains("running"));

            for (int i = 0; i < 2; i++) TestKafka.send(kafka, Topics.TRAIN_BATCHES, "dash", batch(Split.TRAIN, i, 7).encode());
            wait.until(d -> points(d) == 2);
            for (int i = 2; i < 5; i++) TestKafka.send(kafka, Topics.TRAIN_BATCHES, "dash", batch(Split.TRAIN, i, 7).encode());
            wait.until(d -> points(d) == 5); // live: no reload in between
            String samplesAndCharts = driver.findElement(By.id("curve-dash")).getText();
            assertTrue(samplesAndCharts.contains("Loss (nats)") && samplesAndCharts.contains("Validation perplexity"), samplesAndCharts);

            // checkpoints at steps 2 and 4, each evaluated; the first promoted by the policy (a slow page may also see
            // step 5's: the job checkpoints unsaved steps after llm.trainer.idle-checkpoint-after, 10 s without a batch)
            wait.until(d -> d.findElements(By.cssSelector("#model-dash tr[data-step]")).size() >= 2);
            wait.until(d -> d.findElement(By.cssSelector("#model-dash tr[data-step='2']")).getText().contains("promoted"));
            wait.until(d -> d.findElement(By.cssSelector("#model-dash tr[data-step='4']")).getText().contains("dash/validation"));
            Path shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath();
            Files.copy(shot, Path.of("target", "dashboard-test.png"), StandardCopyOption.REPLACE_EXISTING);

            // a reload shows the history
            driver.navigate().refresh();
            wait.until(d -> d.findElement(By.id("status")).getText().equals("live"));
            wait.until(d -> points(d) == 5);

            // promote step 4 by hand through the page: the promotion is published and the page marks it
            click(wait, By.cssSelector("button[data-promote='4']"));
            wait.until(ExpectedConditions.alertIsPresent()).sendKeys("from the page");
            driver.switchTo().alert().accept();
            wait.until(d -> d.findElement(By.cssSelector("#model-dash tr[data-step='4']")).getText().contains("promoted"));
            given().get("/v1/models/dash").then().body("promoted.step", equalTo(4)).body("promoted.reason", equalTo("by hand: from the page"));

            click(wait, By.cssSelector("button[data-stop='dash']"));
            wait.until(ExpectedConditions.alertIsPresent()).accept();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/v1/jobs/dash").then().body("state", equalTo("stopped")));
            wait.until(d -> d.findElement(By.cssSelector("tr[data-job='dash']")).getText().contains("stopped"));
        } finally {
            driver.quit();
        }
    }
}
