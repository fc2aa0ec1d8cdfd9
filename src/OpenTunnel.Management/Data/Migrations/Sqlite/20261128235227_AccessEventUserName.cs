using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpenTunnel.Management.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AccessEventUserName : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "UserName",
                table: "IdentityAccessEvents",
                type: "TEXT",
                maxLength: 128,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "UserName",
                table: "IdentityAccessEvents");
        }
    }
}
