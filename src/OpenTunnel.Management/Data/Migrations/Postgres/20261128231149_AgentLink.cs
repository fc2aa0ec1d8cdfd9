using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace OpenTunnel.Management.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AgentLink : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AgentCertificates",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ServerId = table.Column<Guid>(type: "uuid", nullable: false),
                    Thumbprint = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    SerialNumber = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    NotBefore = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    NotAfter = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    IssuedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    RevokedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    RevocationReason = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AgentCertificates", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AgentCertificates_Servers_ServerId",
                        column: x => x.ServerId,
                        principalTable: "Servers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AgentCommands",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ServerId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Target = table.Column<string>(type: "text", nullable: true),
                    Actor = table.Column<string>(type: "text", nullable: false),
                    State = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    DeliveredAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CompletedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Output = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AgentCommands", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AgentCommands_Servers_ServerId",
                        column: x => x.ServerId,
                        principalTable: "Servers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AgentStatuses",
                columns: table => new
                {
                    ServerId = table.Column<Guid>(type: "uuid", nullable: false),
                    AppliedConfigurationETag = table.Column<string>(type: "text", nullable: true),
                    AppliedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    AppliedNote = table.Column<string>(type: "text", nullable: true),
                    RefusedConfigurationETag = table.Column<string>(type: "text", nullable: true),
                    RefusedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    RefusalReason = table.Column<string>(type: "text", nullable: true),
                    LastSequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AgentStatuses", x => x.ServerId);
                    table.ForeignKey(
                        name: "FK_AgentStatuses_Servers_ServerId",
                        column: x => x.ServerId,
                        principalTable: "Servers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "HealthThresholds",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    CheckInMinutes = table.Column<int>(type: "integer", nullable: false),
                    CpuHealthyMaximumPercent = table.Column<double>(type: "double precision", nullable: false),
                    CpuUnhealthyPercent = table.Column<double>(type: "double precision", nullable: false),
                    MemoryHealthyMaximumPercent = table.Column<double>(type: "double precision", nullable: false),
                    MemoryUnhealthyPercent = table.Column<double>(type: "double precision", nullable: false),
                    CertificateWarningDays = table.Column<int>(type: "integer", nullable: false),
                    LatencyWarningMilliseconds = table.Column<double>(type: "double precision", nullable: false),
                    LatencyUnhealthyMilliseconds = table.Column<double>(type: "double precision", nullable: false),
                    MaximumSessions = table.Column<int>(type: "integer", nullable: true),
                    Version = table.Column<long>(type: "bigint", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HealthThresholds", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ServerTelemetry",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ServerId = table.Column<Guid>(type: "uuid", nullable: false),
                    Sequence = table.Column<long>(type: "bigint", nullable: false),
                    ReceivedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Sample_ActiveSessions = table.Column<int>(type: "integer", nullable: true),
                    Sample_AgentCertificateNotAfter = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Sample_AppliedConfigurationETag = table.Column<string>(type: "text", nullable: true),
                    Sample_At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Sample_BytesPerSecondIn = table.Column<double>(type: "double precision", nullable: true),
                    Sample_BytesPerSecondOut = table.Column<double>(type: "double precision", nullable: true),
                    Sample_Cores = table.Column<int>(type: "integer", nullable: true),
                    Sample_CpuPercent = table.Column<double>(type: "double precision", nullable: true),
                    Sample_DiskFreeBytes = table.Column<long>(type: "bigint", nullable: true),
                    Sample_Draining = table.Column<bool>(type: "boolean", nullable: false),
                    Sample_GatewayError = table.Column<string>(type: "text", nullable: true),
                    Sample_InternalUrlCheckedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Sample_InternalUrlError = table.Column<string>(type: "text", nullable: true),
                    Sample_InternalUrlReachable = table.Column<bool>(type: "boolean", nullable: true),
                    Sample_LatencyMilliseconds = table.Column<double>(type: "double precision", nullable: true),
                    Sample_MemoryPercent = table.Column<double>(type: "double precision", nullable: true),
                    Sample_MemoryTotalBytes = table.Column<long>(type: "bigint", nullable: true),
                    Sample_Sequence = table.Column<long>(type: "bigint", nullable: false),
                    Sample_SoftwareVersion = table.Column<string>(type: "text", nullable: true),
                    Sample_TlsCertificateNotAfter = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ServerTelemetry", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ServerTelemetry_Servers_ServerId",
                        column: x => x.ServerId,
                        principalTable: "Servers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_AgentCertificates_ServerId",
                table: "AgentCertificates",
                column: "ServerId");

            migrationBuilder.CreateIndex(
                name: "IX_AgentCertificates_Thumbprint",
                table: "AgentCertificates",
                column: "Thumbprint",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_AgentCommands_ServerId_State",
                table: "AgentCommands",
                columns: new[] { "ServerId", "State" });

            migrationBuilder.CreateIndex(
                name: "IX_ServerTelemetry_ReceivedAt",
                table: "ServerTelemetry",
                column: "ReceivedAt");

            migrationBuilder.CreateIndex(
                name: "IX_ServerTelemetry_ServerId_Sequence",
                table: "ServerTelemetry",
                columns: new[] { "ServerId", "Sequence" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AgentCertificates");

            migrationBuilder.DropTable(
                name: "AgentCommands");

            migrationBuilder.DropTable(
                name: "AgentStatuses");

            migrationBuilder.DropTable(
                name: "HealthThresholds");

            migrationBuilder.DropTable(
                name: "ServerTelemetry");
        }
    }
}
