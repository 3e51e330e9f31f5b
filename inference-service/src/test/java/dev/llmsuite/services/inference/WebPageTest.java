package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.Topics;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.testing.TestKafka;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The try-it page in headless Chromium: pick the model, type a prompt, watch the streamed text arrive. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class WebPageTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    @Test
    void thePageStreamsACompletion() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "skipped: Debian's chromium and chromium-driver are not installed");
        var a = TestCheckpoints.write("page", 1, 13, false);
        TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.CHECKPOINTS, "page", new ObjectMapper().writeValueAsBytes(a));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/v1/models/page").then().statusCode(200));
        String expected = given().contentType("application/json")
                .body(Map.of("model", "page", "prompt", "Every effort moves you", "max_tokens", 12, "temperature", 0))
                .post("/v1/completions").then().statusCode(200).extract().path("choices[0].text");

        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toString());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + Files.createTempDirectory("chromium-"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
        WebDriver driver = new ChromeDriver(service, options);
        try {
            driver.get("http://127.0.0.1:" + RestAssured.port + "/");
            WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
            wait.until(d -> d.findElement(By.id("status")).getText().equals("ready"));
            new Select(driver.findElement(By.id("model"))).selectByValue("page");
            WebElement max = driver.findElement(By.id("max-tokens"));
            max.clear();
            max.sendKeys("12");
            WebElement temp = driver.findElement(By.id("temperature"));
            temp.clear();
            temp.sendKeys("0");
            driver.findElement(By.id("generate")).click();
            wait.until(d -> d.findElement(By.id("status")).getText().startsWith("done"));
            String shown = driver.findElement(By.id("completion")).getText();
            assertEquals(expected.strip(), shown.strip(), "the page shows the streamed completion");
            assertTrue(driver.findElement(By.id("status")).getText().contains("pieces"));
        } finally {
            driver.quit();
        }
    }
}
