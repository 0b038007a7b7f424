/*
 * noversion.c - a shared object without plugin_api_version: the daemon
 * must refuse it as not being a plugin.
 */
int not_a_plugin(void);

int
not_a_plugin(void)
{
	return 0;
}
