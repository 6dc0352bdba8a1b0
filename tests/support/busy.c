/* busy: N threads that spin until killed (the load of the enforcement
 * tests).  Usage: busy [THREADS]; prints its pid when all threads run. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *spin(void *arg)
{
    volatile unsigned long *x = arg;
    for (;;)
        (*x)++;
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1;
    static volatile unsigned long counters[64];
    if (n < 1 || n > 64) {
        fputs("busy: 1 to 64 threads\n", stderr);
        return 64;
    }
    for (int i = 1; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, spin, (void *)&counters[i]) != 0) {
            perror("busy: pthread_create");
            return 70;
        }
    }
    printf("%d\n", (int)getpid());
    fflush(stdout);
    spin((void *)&counters[0]);
    return 0;
}
