/*
 * commands — what each control-socket request does (PROTOCOL.md).
 *
 * Owns the meaning of the commands: it reads and drives the daemon's
 * state (struct sexton) and answers through control.h. Long operations
 * (start/stop/restart waiting for a state, wait, log -f) park the client;
 * cmd_services_changed() re-checks parked clients after every service
 * state change, so nothing polls.
 */
#ifndef SEXTON_COMMANDS_H
#define SEXTON_COMMANDS_H

struct control;
struct ctl_client;
struct sexton;

void cmd_dispatch(struct control *ctl, struct ctl_client *cl);
void cmd_expire(struct control *ctl, struct ctl_client *cl);
void cmd_services_changed(struct sexton *sx);
/* SVC is about to be freed: its log -f followers get an error. */
struct service;
void cmd_service_removed(struct sexton *sx, const struct service *svc);

/* An on-demand doctor run is over: answer the parked doctor and check
 * clients. */
struct diag_report;
void cmd_doctor_done(struct sexton *sx, const struct diag_report *r);

#endif
