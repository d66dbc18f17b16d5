/* A shared object without cnn_plugin_entry: not a cnnlab plugin. */
int cnn_test_not_a_plugin(void);
int cnn_test_not_a_plugin(void)
{
    return 42;
}
