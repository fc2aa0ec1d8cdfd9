using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpenTunnel.Management.Data.Migrations.Sqlite
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
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    ServerId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Thumbprint = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    SerialNumber = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    NotBefore = table.Column<DateTime>(type: "TEXT", nullable: false),
                    NotAfter = table.Column<DateTime>(type: "TEXT", nullable: false),
                    IssuedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    RevokedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    RevocationReason = table.Column<string>(type: "TEXT", nullable: true)
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
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    ServerId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Target = table.Column<string>(type: "TEXT", nullable: true),
                    Actor = table.Column<string>(type: "TEXT", nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    DeliveredAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    CompletedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Output = table.Column<string>(type: "TEXT", nullable: true)
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
                    ServerId = table.Column<Guid>(type: "TEXT", nullable: false),
                    AppliedConfigurationETag = table.Column<string>(type: "TEXT", nullable: true),
                    AppliedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    AppliedNote = table.Column<string>(type: "TEXT", nullable: true),
                    RefusedConfigurationETag = table.Column<string>(type: "TEXT", nullable: true),
                    RefusedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    RefusalReason = table.Column<string>(type: "TEXT", nullable: true),
                    LastSequence = table.Column<long>(type: "INTEGER", nullable: false)
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
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    CheckInMinutes = table.Column<int>(type: "INTEGER", nullable: false),
                    CpuHealthyMaximumPercent = table.Column<double>(type: "REAL", nullable: false),
                    CpuUnhealthyPercent = table.Column<double>(type: "REAL", nullable: false),
                    MemoryHealthyMaximumPercent = table.Column<double>(type: "REAL", nullable: false),
                    MemoryUnhealthyPercent = table.Column<double>(type: "REAL", nullable: false),
                    CertificateWarningDays = table.Column<int>(type: "INTEGER", nullable: false),
                    LatencyWarningMilliseconds = table.Column<double>(type: "REAL", nullable: false),
                    LatencyUnhealthyMilliseconds = table.Column<double>(type: "REAL", nullable: false),
                    MaximumSessions = table.Column<int>(type: "INTEGER", nullable: true),
                    Version = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HealthThresholds", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ServerTelemetry",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ServerId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    ReceivedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Sample_ActiveSessions = table.Column<int>(type: "INTEGER", nullable: true),
                    Sample_AgentCertificateNotAfter = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Sample_AppliedConfigurationETag = table.Column<string>(type: "TEXT", nullable: true),
                    Sample_At = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Sample_BytesPerSecondIn = table.Column<double>(type: "REAL", nullable: true),
                    Sample_BytesPerSecondOut = table.Column<double>(type: "REAL", nullable: true),
                    Sample_Cores = table.Column<int>(type: "INTEGER", nullable: true),
                    Sample_CpuPercent = table.Column<double>(type: "REAL", nullable: true),
                    Sample_DiskFreeBytes = table.Column<long>(type: "INTEGER", nullable: true),
                    Sample_Draining = table.Column<bool>(type: "INTEGER", nullable: false),
                    Sample_GatewayError = table.Column<string>(type: "TEXT", nullable: true),
                    Sample_InternalUrlCheckedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Sample_InternalUrlError = table.Column<string>(type: "TEXT", nullable: true),
                    Sample_InternalUrlReachable = table.Column<bool>(type: "INTEGER", nullable: true),
                    Sample_LatencyMilliseconds = table.Column<double>(type: "REAL", nullable: true),
                    Sample_MemoryPercent = table.Column<double>(type: "REAL", nullable: true),
                    Sample_MemoryTotalBytes = table.Column<long>(type: "INTEGER", nullable: true),
                    Sample_Sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    Sample_SoftwareVersion = table.Column<string>(type: "TEXT", nullable: true),
                    Sample_TlsCertificateNotAfter = table.Column<DateTime>(type: "TEXT", nullable: true)
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
