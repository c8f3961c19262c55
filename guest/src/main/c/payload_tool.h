#ifndef JKTSTR_PAYLOAD_TOOL_H
#define JKTSTR_PAYLOAD_TOOL_H
/* The "payload" mode of the agent binary (payload_tool.c); argv starts after the mode's name. */
int payload_tool_main(int argc, char **argv);
/* The "payload-kill" mode. */
int payload_kill_main(int argc, char **argv);
#endif
