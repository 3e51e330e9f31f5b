package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.notNullValue;

import dev.llmsuite.testing.KafkaBrokerResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** /q/openapi describes the OpenAI request and response bodies of the endpoints, with OpenAI's field names. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class OpenApiTest {

    @Test
    void completionAndChatResponsesAreDescribed() {
        var spec = given().accept("application/json").get("/q/openapi?format=json").then().statusCode(200);
        spec.body("paths.'/v1/completions'.post.responses.'200'.content.'application/json'.schema.'$ref'",
                equalTo("#/components/schemas/TextCompletion"));
        spec.body("paths.'/v1/chat/completions'.post.responses.'200'.content.'application/json'.schema.'$ref'",
                equalTo("#/components/schemas/ChatCompletion"));
        spec.body("components.schemas.TextCompletion.properties", hasKey("choices"));
        spec.body("components.schemas.TextCompletion.properties", hasKey("usage"));
        spec.body("components.schemas.TextChoice.properties", hasKey("finish_reason"));
        spec.body("components.schemas.ChatChoice.properties.message", notNullValue());
        spec.body("components.schemas.ChatChunk.properties", hasKey("choices"));
        spec.body("components.schemas.Usage.properties", hasKey("prompt_tokens"));
        spec.body("components.schemas.TokenEntry.properties", hasKey("top_logprobs"));
        spec.body("paths.'/v1/embeddings'.post.responses.'200'.content.'application/json'.schema.'$ref'",
                equalTo("#/components/schemas/EmbeddingsResponse"));
        spec.body("components.schemas.EmbeddingsRequest.properties", hasKey("encoding_format"));
        spec.body("components.schemas.EmbeddingsUsage.properties", hasKey("prompt_tokens"));
        spec.body("components.schemas.Embedding.properties.embedding.oneOf", notNullValue());
        spec.body("paths.'/tokenize'.post.responses.'200'.content.'application/json'.schema.'$ref'",
                equalTo("#/components/schemas/TokenizeResponse"));
        spec.body("paths.'/detokenize'.post.responses.'200'.content.'application/json'.schema.'$ref'",
                equalTo("#/components/schemas/DetokenizeResponse"));
        spec.body("paths.'/v1/models/{model}'.get.responses.'200'.content.'application/json'.schema.'$ref'",
                equalTo("#/components/schemas/ModelCard"));
        spec.body("components.schemas.ModelCard.properties", hasKey("promotion"));
        spec.body("components.schemas.PromotionCard.properties", hasKey("reason"));
    }
}
