"""The commands, by area; each module's handlers under the command word the parser gives them."""

from omeconsole.cli.commands import (
    encryption_report,
    keys,
    mail,
    message_trace,
    ome,
    serve,
    tenant,
)

HANDLERS = {
    "init": tenant.cmd_init, "demo": tenant.cmd_demo, "tenant": tenant.cmd_tenant, "user": tenant.cmd_user,
    "template": tenant.cmd_template, "rule": tenant.cmd_rule, "native-domain": tenant.cmd_native_domain,
    "send": mail.cmd_send,
    "trace": message_trace.cmd_trace, "trace-detail": message_trace.cmd_trace_detail,
    "import": message_trace.cmd_import, "reindex": message_trace.cmd_reindex,
    "upgrade": message_trace.cmd_upgrade,
    "report": encryption_report.cmd_report,
    "status": ome.cmd_status, "revoke": ome.cmd_revoke, "portal": ome.cmd_portal,
    **keys.HANDLERS, **serve.HANDLERS,
}
