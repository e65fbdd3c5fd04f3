# The reconciler image: `reconcile run` (see deploy/). Build: docker build -t reconcile .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Cli -c Release -o /out

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
