using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpenTunnel.Management.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class FederatedLogins : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "IdentityFederatedLogins",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    UserId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Issuer = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    Subject = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    RefreshToken = table.Column<string>(type: "TEXT", nullable: true),
                    SignedInAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_IdentityFederatedLogins", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_IdentityFederatedLogins_Issuer_Subject",
                table: "IdentityFederatedLogins",
                columns: new[] { "Issuer", "Subject" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_IdentityFederatedLogins_UserId",
                table: "IdentityFederatedLogins",
                column: "UserId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "IdentityFederatedLogins");
        }
    }
}
