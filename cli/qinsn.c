/*
 * qinsn: command-line client of the plugin's control socket.
 */
#include <stdio.h>

#include "proto.h"

int main(int argc, char **argv)
{
    fprintf(stderr, "qinsn: protocol %d; the client is not built yet\n",
            QINSN_PROTO_VERSION);
    return 2;
}
