# The reconciler image: `reconcile run` (see deploy/). Build: docker build -t reconcile .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TARGETARCH
WORKDIR /src
COPY . .
# ReadyToRun: precompiled code starts without JIT-compiling YamlDotNet, Scriban and JsonSchema.Net
# first (a 1,000-VM compile 1.9 s -> 1.3-1.7 s, bench/README.md). It needs the target's runtime
# identifier, so the native libraries (libgit2) are that architecture's too.
RUN arch=$([ "$TARGETARCH" = "arm64" ] && echo arm64 || echo x64) \
 && dotnet publish src/Cli -c Release -r "linux-$arch" --self-contained false -p:PublishReadyToRun=true -o /out

# ASP.NET Core runtime: the reconciler serves /metrics, /healthz and /readyz. ssh-keygen verifies
# commit signatures (--verify).
FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out /app
USER 65532:65532
ENTRYPOINT ["dotnet", "/app/reconcile.dll"]
CMD ["--help"]
