package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.Topics;
import dev.llmsuite.testing.HeadlessChromium;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.testing.TestKafka;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The try-it page in headless Chromium: pick the model, type a prompt, watch the streamed text arrive. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class WebPageTest {
    @Test
    void thePageStreamsACompletion() throws Exception {
        var a = TestCheckpoints.write("page", 1, 13, false);
        TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.CHECKPOINTS, "page", new ObjectMapper().writeValueAsBytes(a));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/v1/models/page").then().statusCode(200));
        String expected = given().contentType("application/json")
                .body(Map.of("model", "page", "prompt", "Every effort moves you", "max_tokens", 12, "temperature", 0))
                .post("/v1/completions").then().statusCode(200).extract().path("choices[0].text");

        WebDriver driver = HeadlessChromium.start();
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
