package dev.switchboard.support;

import java.util.Map;

import com.anthropic.models.messages.Tool;
import com.openai.core.JsonValue;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;

/** The one tool the SDK tests call, {@code get_weather(city)}, as each SDK declares it. */
public final class WeatherTool {
    public static final String NAME = "get_weather";
    private static final Map<String, Object> PROPERTIES = Map.of("city", Map.of("type", "string"));

    private WeatherTool() {}

    public static FunctionDefinition openAi() {
        return FunctionDefinition.builder().name(NAME).description("Weather of a city")
                .parameters(FunctionParameters.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(PROPERTIES))
                        .build())
                .build();
    }

    public static Tool anthropic() {
        return Tool.builder().name(NAME).description("Weather of a city")
                .inputSchema(Tool.InputSchema.builder().properties(com.anthropic.core.JsonValue.from(PROPERTIES)).build())
                .build();
    }
}
