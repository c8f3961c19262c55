#ifndef JKTSTR_SCHED_TOOL_H
#define JKTSTR_SCHED_TOOL_H
/* The "sched-setattr" mode of the agent binary (sched_tool.c); argv starts after the mode's name. */
int sched_tool_main(int argc, char **argv);
#endif
