# The hub, built from this repository. Used by docker-compose.yml.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
COPY transformers transformers
COPY embedded embedded
COPY connectors connectors
COPY routes routes
COPY hub hub
COPY config config
RUN ./mvnw -B -q -DskipTests package

FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 hub
WORKDIR /app
COPY --from=build /src/hub/target/crm-hub.jar /app/crm-hub.jar
COPY config /app/config
USER hub
ENV SPRING_PROFILES_ACTIVE=prod \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75"
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/app/crm-hub.jar"]
