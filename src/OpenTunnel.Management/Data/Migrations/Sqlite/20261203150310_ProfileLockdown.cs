using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpenTunnel.Management.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ProfileLockdown : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "Lockdown",
                table: "VpnProfiles",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Lockdown",
                table: "VpnProfiles");
        }
    }
}
